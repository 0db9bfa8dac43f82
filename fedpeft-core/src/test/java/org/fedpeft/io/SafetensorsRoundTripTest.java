package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

  @TempDir Path dir;

  /** Tensors with the awkward values: NaN payloads, signed zero, infinities, empty, scalar. */
  static Map<String, HostTensor> awkwardTensors() {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    float[] special = {
      Float.intBitsToFloat(0x7fc01234), // quiet NaN with payload
      Float.intBitsToFloat(0xffc00001), // negative quiet NaN with payload
      Float.intBitsToFloat(0x7f800001), // signalling NaN
      -0.0f,
      0.0f,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      Float.MIN_VALUE,
      -Float.MAX_VALUE,
      1.0f / 3
    };
    m.put("z.special", new HostTensor(new long[] {2, 5}, special));
    Random random = new Random(7);
    float[] dense = new float[3 * 4 * 5];
    for (int i = 0; i < dense.length; i++) {
      dense[i] = (float) random.nextGaussian();
    }
    m.put("encoder.layer.0.weight", new HostTensor(new long[] {3, 4, 5}, dense));
    m.put("empty", HostTensor.zeros(0));
    m.put("empty.inner", HostTensor.zeros(3, 0, 2));
    m.put("scalar", new HostTensor(new long[] {}, new float[] {3.5f}));
    m.put("ünïcode name \"quoted\"", new HostTensor(new long[] {1}, new float[] {-1f}));
    return m;
  }

  static void assertBitExact(Map<String, HostTensor> expected, Map<String, HostTensor> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (String name : expected.keySet()) {
      HostTensor e = expected.get(name);
      HostTensor a = actual.get(name);
      assertArrayEquals(e.shape(), a.shape(), name);
      assertEquals(e.data().length, a.data().length, name);
      for (int i = 0; i < e.data().length; i++) {
        assertEquals(
            Float.floatToRawIntBits(e.data()[i]),
            Float.floatToRawIntBits(a.data()[i]),
            name + "[" + i + "]");
      }
    }
  }

  @Test
  void fileRoundTripIsBitExact() throws IOException {
    Map<String, HostTensor> tensors = awkwardTensors();
    Map<String, String> metadata = Map.of("format", "pt", "round", "3", "note", "é \" \\ \n");
    Path file = dir.resolve("t.safetensors");
    Safetensors.write(file, tensors, metadata);

    SafetensorsFile read = Safetensors.read(file);
    assertEquals(file.toString(), read.source());
    assertEquals(metadata, read.metadata());
    assertEquals(new ArrayList<>(new java.util.TreeSet<>(tensors.keySet())), read.names());
    for (String name : tensors.keySet()) {
      assertEquals(SafetensorsDtype.F32, read.dtype(name));
      assertArrayEquals(tensors.get(name).shape(), read.shape(name));
    }
    assertBitExact(tensors, read.floatTensors());
    assertBitExact(tensors, Safetensors.readFloatTensors(file));
  }

  @Test
  void inMemoryFormIsTheFileBytes() throws IOException {
    Map<String, HostTensor> tensors = awkwardTensors();
    Path file = dir.resolve("t.safetensors");
    Safetensors.write(file, tensors, Map.of("format", "pt"));
    byte[] bytes = Safetensors.serialize(tensors, Map.of("format", "pt"));
    assertArrayEquals(Files.readAllBytes(file), bytes);
    assertEquals(bytes.length, Safetensors.serializedSize(tensors, Map.of("format", "pt")));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Safetensors.writeTo(out, tensors, Map.of("format", "pt"));
    assertArrayEquals(bytes, out.toByteArray());

    SafetensorsFile read = Safetensors.deserialize(bytes, "update from client 7");
    assertEquals("update from client 7", read.source());
    assertBitExact(tensors, read.floatTensors());
  }

  @Test
  void outputDoesNotDependOnMapOrder() {
    Map<String, HostTensor> forward = awkwardTensors();
    List<String> names = new ArrayList<>(forward.keySet());
    java.util.Collections.reverse(names);
    Map<String, HostTensor> reversed = new LinkedHashMap<>();
    names.forEach(n -> reversed.put(n, forward.get(n)));
    Map<String, String> meta1 = new LinkedHashMap<>();
    meta1.put("b", "2");
    meta1.put("a", "1");
    Map<String, String> meta2 = new HashMap<>(Map.of("a", "1", "b", "2"));
    assertArrayEquals(
        Safetensors.serialize(forward, meta1), Safetensors.serialize(reversed, meta2));
  }

  @Test
  void layoutFollowsTheReferenceImplementation() {
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    tensors.put("b", new HostTensor(new long[] {2}, new float[] {1f, 2f}));
    tensors.put("a", new HostTensor(new long[] {1, 1}, new float[] {-2f}));
    byte[] bytes = Safetensors.serialize(tensors, Map.of("format", "pt"));
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long n = buf.getLong(0);
    assertEquals(0, n % 8, "header padded to a multiple of 8");
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    String json =
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    assertEquals(json, header.stripTrailing());
    assertTrue(header.substring(json.length()).chars().allMatch(c -> c == ' '));
    assertTrue(header.length() - json.length() < 8);
    // data: a (sorted first), then b, little-endian float32
    assertEquals(8 + n + 12, bytes.length);
    assertEquals(-2f, buf.getFloat((int) (8 + n)));
    assertEquals(1f, buf.getFloat((int) (8 + n + 4)));
    assertEquals(2f, buf.getFloat((int) (8 + n + 8)));
  }

  /**
   * The expected outputs of the reference implementation's own serialization tests
   * (huggingface/safetensors, safetensors/src/tensor.rs, test_serialization and
   * test_serialization_forced_alignement): six floats 0..5, no metadata.
   */
  @Test
  void matchesTheReferenceImplementationByteForByte() {
    float[] values = {0f, 1f, 2f, 3f, 4f, 5f};
    byte[] data = new byte[24];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);

    byte[] expected1 =
        SafetensorsHandBuiltTest.concat(
            SafetensorsHandBuiltTest.bytes(64, 0, 0, 0, 0, 0, 0, 0),
            "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}"
                .getBytes(StandardCharsets.UTF_8),
            data);
    assertArrayEquals(
        expected1,
        Safetensors.serialize(
            Map.of("attn.0", new HostTensor(new long[] {1, 2, 3}, values.clone())), null));

    byte[] expected2 =
        SafetensorsHandBuiltTest.concat(
            SafetensorsHandBuiltTest.bytes(72, 0, 0, 0, 0, 0, 0, 0),
            "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       "
                .getBytes(StandardCharsets.UTF_8),
            data);
    assertArrayEquals(
        expected2,
        Safetensors.serialize(
            Map.of("attn0", new HostTensor(new long[] {1, 1, 2, 3}, values.clone())), null));
  }

  @Test
  void emptyMapAndNoMetadata() throws IOException {
    byte[] bytes = Safetensors.serialize(Map.of(), null);
    assertEquals(16, bytes.length); // 8-byte length + "{}" padded to 8
    SafetensorsFile read = Safetensors.deserialize(bytes, "empty");
    assertEquals(List.of(), read.names());
    assertEquals(Map.of(), read.metadata());
    Path file = dir.resolve("empty.safetensors");
    Safetensors.write(file, Map.of(), Map.of());
    assertArrayEquals(bytes, Files.readAllBytes(file));
  }

  @Test
  void rawAccessAndFailedRewriteKeepsOldFile() throws IOException {
    Path file = dir.resolve("w.safetensors");
    Safetensors.write(file, Map.of("w", new HostTensor(new long[] {1}, new float[] {1.5f})), null);
    ByteBuffer raw = Safetensors.read(file).raw("w");
    assertEquals(4, raw.remaining());
    assertEquals(1.5f, raw.getFloat(0));
    byte[] before = Files.readAllBytes(file);

    Map<String, HostTensor> bad = new HashMap<>();
    bad.put(SafetensorsFile.METADATA_KEY, HostTensor.zeros(1));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, bad, null));
    assertTrue(e.getMessage().contains("reserved"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(file));
  }

  @Test
  void accessorErrorsNameSourceAndTensor() throws IOException {
    SafetensorsFile f =
        Safetensors.deserialize(
            Safetensors.serialize(Map.of("w", HostTensor.zeros(2)), null), "buf");
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> f.floatTensor("nope"));
    assertTrue(
        unknown.getMessage().startsWith("buf: no tensor named 'nope'"), unknown.getMessage());
    IllegalArgumentException kind =
        assertThrows(IllegalArgumentException.class, () -> f.longs("w"));
    assertTrue(kind.getMessage().startsWith("buf: tensor 'w' has floating point dtype F32"));
    assertThrows(IllegalArgumentException.class, () -> f.booleans("w"));
  }
}
