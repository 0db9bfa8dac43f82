package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files assembled byte by byte from the format definition, read back by the reader. */
class SafetensorsHandBuiltTest {

  @TempDir Path dir;

  /** The bytes of the given unsigned byte values. */
  static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  /** 8-byte little-endian length, the header text as UTF-8, then the data bytes. */
  static byte[] file(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long n = h.length;
    for (int i = 0; i < 8; i++) {
      out.write((int) (n >>> (8 * i)) & 0xff);
    }
    out.writeBytes(h);
    out.writeBytes(data);
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  @Test
  void readsEveryListedDtypeFromAHandBuiltFile() throws IOException {
    // Keys deliberately unsorted, metadata in the middle, whitespace inside, space padding.
    String header =
        "{\"i8\": {\"dtype\": \"I8\", \"shape\": [2], \"data_offsets\": [70, 72]},"
            + " \"f16\": {\"dtype\": \"F16\", \"shape\": [4], \"data_offsets\": [0, 8]},"
            + " \"bf16\": {\"shape\": [2, 2], \"dtype\": \"BF16\", \"data_offsets\": [8, 16]},"
            + " \"__metadata__\": {\"format\": \"pt\", \"origin\": \"hand\"},"
            + " \"f16_special\": {\"dtype\": \"F16\", \"shape\": [4], \"data_offsets\": [16, 24]},"
            + " \"f64\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [24, 40]},"
            + " \"i64\": {\"dtype\": \"I64\", \"shape\": [2], \"data_offsets\": [40, 56]},"
            + " \"i32\": {\"dtype\": \"I32\", \"shape\": [3], \"data_offsets\": [56, 68]},"
            + " \"u8\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [68, 70]},"
            + " \"mask\": {\"dtype\": \"BOOL\", \"shape\": [3], \"data_offsets\": [72, 75]},"
            + " \"f32\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [75, 79]}}"
            + "     ";
    byte[] data =
        concat(
            bytes(0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38, 0xFF, 0x7B), // F16 1, -2, 0.5, 65504
            bytes(0x80, 0x3F, 0x00, 0xC0, 0x00, 0x3F, 0x7F, 0x47), // BF16 1, -2, 0.5, 65280
            bytes(0x01, 0x00, 0x00, 0x80, 0x00, 0x7C, 0x00, 0x7E), // F16 2^-24, -0, inf, NaN
            bytes(0x9A, 0x99, 0x99, 0x99, 0x99, 0x99, 0xB9, 0x3F), // F64 0.1
            bytes(0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0xC0), // F64 -3
            bytes(0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), // I64 -5
            bytes(0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00), // I64 2^40
            bytes(0x07, 0, 0, 0, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F), // I32 7 -8 max
            bytes(0xFF, 0x00), // U8 255 0
            bytes(0x80, 0x7F), // I8 -128 127
            bytes(0x01, 0x00, 0x01), // BOOL true false true
            bytes(0x00, 0x00, 0xC0, 0x3F)); // F32 scalar 1.5 at an unaligned offset
    assertEquals(79, data.length);
    byte[] content = file(header, data);
    Path path = dir.resolve("hand.safetensors");
    Files.write(path, content);

    for (SafetensorsFile f :
        List.of(Safetensors.read(path), Safetensors.deserialize(content, "hand-built"))) {
      assertEquals(Map.of("format", "pt", "origin", "hand"), f.metadata());
      assertEquals(
          List.of("bf16", "f16", "f16_special", "f32", "f64", "i32", "i64", "i8", "mask", "u8"),
          f.names());
      assertEquals(79, f.dataBytes());

      assertEquals(SafetensorsDtype.F16, f.dtype("f16"));
      assertArrayEquals(new long[] {4}, f.shape("f16"));
      assertArrayEquals(new float[] {1.0f, -2.0f, 0.5f, 65504f}, f.floatTensor("f16").data());

      assertEquals(SafetensorsDtype.BF16, f.dtype("bf16"));
      assertArrayEquals(new long[] {2, 2}, f.floatTensor("bf16").shape());
      assertArrayEquals(new float[] {1.0f, -2.0f, 0.5f, 65280f}, f.floatTensor("bf16").data());

      float[] special = f.floatTensor("f16_special").data();
      assertEquals(0x1p-24f, special[0]);
      assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(special[1]));
      assertEquals(Float.POSITIVE_INFINITY, special[2]);
      assertTrue(Float.isNaN(special[3]));

      assertArrayEquals(new float[] {0.1f, -3.0f}, f.floatTensor("f64").data());
      assertArrayEquals(new double[] {0.1, -3.0}, f.doubles("f64"));

      assertArrayEquals(new long[] {-5, 1L << 40}, f.longs("i64"));
      assertArrayEquals(new float[] {-5f, 0x1p40f}, f.floatTensor("i64").data());
      assertArrayEquals(new long[] {7, -8, Integer.MAX_VALUE}, f.longs("i32"));
      assertArrayEquals(new long[] {255, 0}, f.longs("u8"));
      assertArrayEquals(new long[] {-128, 127}, f.longs("i8"));
      assertArrayEquals(new float[] {-128f, 127f}, f.floatTensor("i8").data());

      assertEquals(SafetensorsDtype.BOOL, f.dtype("mask"));
      assertArrayEquals(new boolean[] {true, false, true}, f.booleans("mask"));
      assertArrayEquals(new long[] {1, 0, 1}, f.longs("mask"));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> f.floatTensor("mask"));
      assertTrue(e.getMessage().contains("tensor 'mask' has dtype BOOL"), e.getMessage());

      assertArrayEquals(new long[] {}, f.shape("f32"));
      assertArrayEquals(new float[] {1.5f}, f.floatTensor("f32").data());
      assertEquals(
          new SafetensorsFile.TensorInfo("f32", SafetensorsDtype.F32, new long[] {}, 75, 79),
          f.info("f32"));
    }
  }

  @Test
  void readsEightBitFloatsAndWideIntegers() throws IOException {
    String header =
        "{\"e4m3\":{\"dtype\":\"F8_E4M3\",\"shape\":[6],\"data_offsets\":[0,6]},"
            + "\"e5m2\":{\"dtype\":\"F8_E5M2\",\"shape\":[4],\"data_offsets\":[6,10]},"
            + "\"e8m0\":{\"dtype\":\"F8_E8M0\",\"shape\":[3],\"data_offsets\":[10,13]},"
            + "\"u16\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[13,15]},"
            + "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[15,17]},"
            + "\"u32\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[17,21]},"
            + "\"u64\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[21,29]}}";
    byte[] data =
        concat(
            bytes(0x38, 0xC0, 0x30, 0x7E, 0x7F, 0x01), // E4M3 1 -2 0.5 448 NaN 2^-9
            bytes(0x3C, 0xC0, 0x38, 0x7B), // E5M2 1 -2 0.5 57344
            bytes(0x7F, 0x80, 0x7E), // E8M0 1 2 0.5
            bytes(0xFF, 0xFF), // U16 65535
            bytes(0x00, 0x80), // I16 -32768
            bytes(0xFF, 0xFF, 0xFF, 0xFF), // U32 2^32-1
            bytes(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)); // U64 2^64-1
    SafetensorsFile f = Safetensors.deserialize(file(header, data), "f8");
    float[] e4m3 = f.floatTensor("e4m3").data();
    assertArrayEquals(new float[] {1f, -2f, 0.5f, 448f}, java.util.Arrays.copyOf(e4m3, 4));
    assertTrue(Float.isNaN(e4m3[4]));
    assertEquals(0x1p-9f, e4m3[5]);
    assertArrayEquals(new float[] {1f, -2f, 0.5f, 57344f}, f.floatTensor("e5m2").data());
    assertArrayEquals(new float[] {1f, 2f, 0.5f}, f.floatTensor("e8m0").data());
    assertArrayEquals(new long[] {65535}, f.longs("u16"));
    assertArrayEquals(new long[] {-32768}, f.longs("i16"));
    assertArrayEquals(new long[] {4294967295L}, f.longs("u32"));
    assertArrayEquals(new long[] {-1L}, f.longs("u64")); // two's complement of 2^64-1
    assertArrayEquals(new float[] {0x1p64f}, f.floatTensor("u64").data());
    assertArrayEquals(new double[] {0x1p64}, f.doubles("u64"));
  }
}
