package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Safetensors#writeChecked}: a corrupted byte anywhere in the content is refused. */
class SafetensorsChecksumTest {

  @TempDir Path dir;

  private static final Map<String, String> META = Map.of("format", "pt", "round", "3");

  private Path written() throws IOException {
    Path f = dir.resolve("state.safetensors");
    Safetensors.writeChecked(f, SafetensorsRoundTripTest.awkwardTensors(), META);
    return f;
  }

  @Test
  void roundTripsBitExactAndHidesTheChecksum() throws IOException {
    Path f = written();
    SafetensorsFile back = Safetensors.read(f);
    SafetensorsRoundTripTest.assertBitExact(
        SafetensorsRoundTripTest.awkwardTensors(), back.floatTensors());
    assertEquals(new TreeMap<>(META), back.metadata());
    assertEquals(
        new TreeMap<>(META),
        Safetensors.deserialize(Files.readAllBytes(f), "bytes").metadata(),
        "an in-memory copy is verified too");
  }

  @Test
  void theChecksumIsTheSha256OfTheContentAHandBuiltDigestGives() throws IOException {
    Path f = dir.resolve("one.safetensors");
    Safetensors.writeChecked(
        f, Map.of("w", new HostTensor(new long[] {2}, new float[] {1f, -2f})), Map.of("k", "v"));
    String header = header(Files.readAllBytes(f));
    // Length-prefixed (8-byte little-endian) fields: "k", "v", then the tensor's name, dtype,
    // rank, dimension, byte length and its data bytes (1.0f = 0x3f800000, -2.0f = 0xc0000000).
    java.io.ByteArrayOutputStream content = new java.io.ByteArrayOutputStream();
    for (String s : new String[] {"k", "v", "w", "F32"}) {
      content.writeBytes(le(s.length()));
      content.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }
    content.writeBytes(le(1));
    content.writeBytes(le(2));
    content.writeBytes(le(8));
    content.writeBytes(new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, (byte) 0xc0});
    String expected =
        java.util.HexFormat.of().formatHex(Sha256.newDigest().digest(content.toByteArray()));
    assertTrue(
        header.contains("\"" + Safetensors.CHECKSUM_KEY + "\":\"" + expected + "\""), header);
  }

  @Test
  void aFlippedDataByteIsRefused() throws IOException {
    Path f = written();
    byte[] b = Files.readAllBytes(f);
    b[b.length - 1] ^= 1; // the last data byte
    Files.write(f, b);
    SafetensorsFormatException e =
        assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(f));
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("the file is corrupted"), e.getMessage());
    assertThrows(SafetensorsFormatException.class, () -> Safetensors.deserialize(b, "bytes"));
  }

  @Test
  void aChangedMetadataValueIsRefused() throws IOException {
    Path f = written();
    byte[] b = Files.readAllBytes(f);
    String header = header(b);
    int at = header.indexOf("\"round\":\"3\"") + "\"round\":\"".length();
    b[8 + at] = '4'; // same length, still valid JSON
    Files.write(f, b);
    assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(f));
  }

  @Test
  void plainWritesCarryNoChecksumAndReadAsBefore() throws IOException {
    Path f = dir.resolve("plain.safetensors");
    Safetensors.write(f, SafetensorsRoundTripTest.awkwardTensors(), META);
    assertFalse(header(Files.readAllBytes(f)).contains(Safetensors.CHECKSUM_KEY));
    byte[] b = Files.readAllBytes(f);
    b[b.length - 1] ^= 1;
    Files.write(f, b);
    assertEquals(new TreeMap<>(META), Safetensors.read(f).metadata(), "nothing to verify");
  }

  @Test
  void checkedContentEqualsPlainContent() throws IOException {
    Path plain = dir.resolve("plain.safetensors");
    Safetensors.write(plain, SafetensorsRoundTripTest.awkwardTensors(), META);
    Path checked = written();
    SafetensorsFile a = Safetensors.read(plain);
    SafetensorsFile b = Safetensors.read(checked);
    assertEquals(a.metadata(), b.metadata());
    for (String name : a.names()) {
      byte[] x = new byte[a.raw(name).remaining()];
      byte[] y = new byte[b.raw(name).remaining()];
      a.raw(name).get(x);
      b.raw(name).get(y);
      assertArrayEquals(x, y, name);
    }
  }

  @Test
  void theChecksumKeyIsReserved() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Safetensors.writeChecked(
                    dir.resolve("x.safetensors"), Map.of(), Map.of(Safetensors.CHECKSUM_KEY, "0")));
    assertTrue(e.getMessage().contains("reserved"), e.getMessage());
  }

  private static String header(byte[] file) {
    int n = (int) java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    return new String(file, 8, n, StandardCharsets.UTF_8);
  }

  private static byte[] le(long v) {
    return java.nio.ByteBuffer.allocate(8)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putLong(v)
        .array();
  }
}
