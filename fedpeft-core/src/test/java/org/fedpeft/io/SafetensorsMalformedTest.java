package org.fedpeft.io;

import static org.fedpeft.io.SafetensorsHandBuiltTest.bytes;
import static org.fedpeft.io.SafetensorsHandBuiltTest.file;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per malformation. Each asserts that reading the file fails with a message that starts
 * with the file path and names the problem, and that the in-memory reader reports the same problem
 * under its source name.
 */
class SafetensorsMalformedTest {

  @TempDir Path dir;

  private static final String W = "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

  /** Reads {@code content} from a file and from memory; both must fail naming every fragment. */
  private SafetensorsFormatException assertRejected(byte[] content, String... fragments)
      throws IOException {
    Path path = dir.resolve("bad.safetensors");
    Files.write(path, content);
    SafetensorsFormatException e =
        assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(path));
    String message = e.getMessage();
    assertTrue(message.startsWith(path + ": "), "message should start with the path: " + message);
    assertEquals(path.toString(), e.source());
    for (String fragment : fragments) {
      assertTrue(message.contains(fragment), "message lacks '" + fragment + "': " + message);
    }
    SafetensorsFormatException inMemory =
        assertThrows(
            SafetensorsFormatException.class,
            () -> Safetensors.deserialize(content, "client 3 update"));
    assertTrue(inMemory.getMessage().startsWith("client 3 update: "), inMemory.getMessage());
    assertEquals(
        e.problem().replace("file is", "buffer is"),
        inMemory.problem(),
        "file and memory readers report the same problem");
    return e;
  }

  private static byte[] withData(String header, int dataBytes) {
    return file(header, new byte[dataBytes]);
  }

  private static byte[] prefix(long headerLength, int fileBytes) {
    byte[] content = new byte[fileBytes];
    ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).putLong(0, headerLength);
    return content;
  }

  @Test
  void fileShorterThanEightBytes() throws IOException {
    assertRejected(
        bytes(1, 0, 0, 0, 0), "5 bytes long", "shorter than the 8-byte header length prefix");
  }

  @Test
  void emptyFile() throws IOException {
    assertRejected(new byte[0], "0 bytes long", "shorter than the 8-byte");
  }

  @Test
  void headerLengthOverTheCap() throws IOException {
    assertRejected(
        prefix(100_000_001L, 64), "header length 100000001 exceeds the limit of 100000000 bytes");
  }

  @Test
  void headerLengthOverTheCapAsUnsigned() throws IOException {
    assertRejected(prefix(-1L, 16), "header length 18446744073709551615 exceeds the limit");
  }

  @Test
  void headerLengthBeyondTheFile() throws IOException {
    assertRejected(
        prefix(100, 18), "header length 100 is larger than the 10 bytes that follow the length");
  }

  @Test
  void headerNotUtf8() throws IOException {
    byte[] content = file("{\"a\":1}", new byte[0]);
    content[9] = (byte) 0xFF;
    assertRejected(content, "header is not valid UTF-8");
  }

  @Test
  void headerNotJson() throws IOException {
    assertRejected(withData("{\"w\": {\"dtype\": ", 0), "header is not valid JSON");
  }

  @Test
  void headerLenientJsonIsRejected() throws IOException {
    assertRejected(withData("{'w': {dtype: F32,},}", 0), "header is not valid JSON");
  }

  @Test
  void headerTrailingGarbage() throws IOException {
    assertRejected(withData("{} {}", 0), "header is not valid JSON");
  }

  @Test
  void headerNotAnObject() throws IOException {
    assertRejected(withData("[1, 2]  ", 0), "header is not a JSON object but an array");
  }

  @Test
  void headerWithLeadingWhitespace() throws IOException {
    assertRejected(withData("  {" + W + "}", 8), "header must start with '{'");
  }

  @Test
  void metadataValueNotString() throws IOException {
    assertRejected(
        withData("{\"__metadata__\":{\"format\":\"pt\",\"epoch\":3}," + W + "}", 8),
        "__metadata__ must map strings to strings, but key 'epoch' has the number 3");
  }

  @Test
  void metadataNotObject() throws IOException {
    assertRejected(
        withData("{\"__metadata__\":[\"pt\"]," + W + "}", 8),
        "__metadata__ must be an object mapping strings to strings, but is an array");
  }

  @Test
  void unknownDtype() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F99\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
        "tensor 'w': unknown or unsupported dtype 'F99'");
  }

  @Test
  void dtypeIsCaseSensitive() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
        "tensor 'w': unknown or unsupported dtype 'f32'");
  }

  @Test
  void missingDtype() throws IOException {
    assertRejected(
        withData("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
        "tensor 'w': missing \"dtype\"");
  }

  @Test
  void tensorEntryNotObject() throws IOException {
    assertRejected(withData("{\"w\":[0,8]}", 8), "tensor 'w': entry must be an object");
  }

  @Test
  void negativeShapeEntry() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,8]}}", 8),
        "tensor 'w': shape entry 1 is negative (-1)");
  }

  @Test
  void nonIntegerShapeEntry() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8),
        "tensor 'w': shape entry 0 must be a non-negative integer, but is the number 2.0");
  }

  @Test
  void stringShapeEntry() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8),
        "tensor 'w': shape entry 0 must be a non-negative integer, but is the string \"2\"");
  }

  @Test
  void shapeNotArray() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8),
        "tensor 'w': shape must be an array, but is the number 2");
  }

  @Test
  void dataOffsetsNotTwoEntries() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8),
        "tensor 'w': data_offsets must be two integers [begin, end], but has 3 entries");
  }

  @Test
  void dataOffsetsNotIntegers() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8e0]}}", 8),
        "tensor 'w': data_offsets entry 1 must be a non-negative integer, but is the number 8e0");
  }

  @Test
  void dataOffsetsNegative() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[-4,0]}}", 0),
        "tensor 'w': data_offsets entry 0 is negative (-4)");
  }

  @Test
  void dataOffsetsTooLarge() throws IOException {
    assertRejected(
        withData(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,18446744073709551616]}}",
            8),
        "tensor 'w': data_offsets entry 1 is too large (18446744073709551616)");
  }

  @Test
  void dataOffsetsDecreasing() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8),
        "tensor 'w': data_offsets [8, 0] are decreasing (end < begin)");
  }

  @Test
  void endBeyondTheBuffer() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4),
        "tensor 'w': data_offsets end 8 is beyond the end of the data buffer (4 bytes)");
  }

  @Test
  void byteSpanDoesNotMatchDtypeAndShape() throws IOException {
    assertRejected(
        withData("{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 8),
        "tensor 'w': dtype F16 with shape [2, 3] needs 12 bytes, but data_offsets [0, 8] span 8");
  }

  @Test
  void shapeProductOverflows() throws IOException {
    assertRejected(
        withData(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                + "\"data_offsets\":[0,8]}}",
            8),
        "tensor 'w': shape [4294967296, 4294967296] has too many elements");
  }

  @Test
  void overlappingTensors() throws IOException {
    assertRejected(
        withData(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            12),
        "tensors 'a' [0, 8) and 'b' [4, 12) overlap");
  }

  @Test
  void identicalRangesOverlap() throws IOException {
    assertRejected(
        withData(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            8),
        "tensors 'a' [0, 8) and 'b' [0, 8) overlap");
  }

  @Test
  void emptyTensorInsideAnotherOverlaps() throws IOException {
    assertRejected(
        withData(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}",
            8),
        "tensors 'a' [0, 8) and 'e' [4, 4) overlap");
  }

  @Test
  void gapBetweenTensors() throws IOException {
    assertRejected(
        withData(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
            12),
        "gap of 4 unused bytes in the data buffer at [4, 8) before tensor 'b'");
  }

  @Test
  void gapAtTheStart() throws IOException {
    assertRejected(
        withData("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
        "gap of 4 unused bytes in the data buffer at [0, 4) before tensor 'b'");
  }

  @Test
  void trailingBytesAfterTheLastTensor() throws IOException {
    assertRejected(
        withData("{" + W + "}", 11),
        "3 trailing bytes in the data buffer (11 bytes) after the last tensor 'w', which ends at 8");
  }

  @Test
  void trailingBytesWithoutTensors() throws IOException {
    assertRejected(withData("{}", 4), "4 trailing bytes", "lists no tensors");
  }

  @Test
  void duplicateTensorNames() throws IOException {
    assertRejected(
        withData(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
            8),
        "duplicate tensor name 'w' in the header at line 1 column 56");
  }

  @Test
  void duplicateKeyInsideATensorEntry() throws IOException {
    assertRejected(
        withData(
            "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            8),
        "tensor 'w': duplicate key 'dtype' in its entry at line 1 column 22");
  }

  @Test
  void duplicateMetadata() throws IOException {
    assertRejected(
        withData("{\"__metadata__\":{},\"__metadata__\":{}," + W + "}", 8),
        "duplicate key '__metadata__' in the header at line 1 column 21");
  }

  @Test
  void duplicateMetadataKey() throws IOException {
    assertRejected(
        withData("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}," + W + "}", 8),
        "duplicate key 'a' in __metadata__ at line 1 column 27");
  }

  /**
   * A repeated key is placed in the header's text (line and column, as fedpeft's strict JSON places
   * it in a JSON file), so a header written over many lines need not be searched.
   */
  @Test
  void aRepeatedKeyNamesItsLineAndColumnInTheHeader() throws IOException {
    SafetensorsFormatException e =
        assertRejected(
            withData("{\n \"__metadata__\": {\"a\": \"1\",\n  \"a\": \"2\"},\n " + W + "\n}", 8));
    assertEquals("duplicate key 'a' in __metadata__ at line 3 column 4", e.problem());
  }

  /**
   * QA, 5 December: a folder where a safetensors file belongs (an adapter folder's
   * adapter.safetensors, say) was refused with the JDK's bare "Is a directory", naming no path.
   */
  @Test
  void aFolderIsNamed() throws IOException {
    Path folder = Files.createDirectory(dir.resolve("folder.safetensors"));
    SafetensorsFormatException e =
        assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(folder));
    assertEquals(folder + ": is a folder, not a safetensors file", e.getMessage());
  }
}
