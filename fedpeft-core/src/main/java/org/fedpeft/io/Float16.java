package org.fedpeft.io;

/** Widening conversions of the small float formats to float32 (all exact). */
final class Float16 {

  private Float16() {}

  /** IEEE 754 binary16 to float, exactly; NaN payloads are kept. */
  static float toFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float magnitude = mant * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /** float8 E4M3 ("fn": bias 7, no infinities, S.1111.111 is NaN) to float. */
  static float e4m3ToFloat(byte value) {
    int v = value & 0xff;
    int sign = (v & 0x80) << 24;
    int exp = (v >>> 3) & 0xf;
    int mant = v & 0x7;
    if (exp == 0xf && mant == 0x7) {
      return Float.intBitsToFloat(sign | 0x7fc00000);
    }
    if (exp == 0) {
      float magnitude = mant * 0x1p-9f;
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exp - 7 + 127) << 23) | (mant << 20));
  }

  /** float8 E8M0 (unsigned power of two, bias 127, 0xFF is NaN) to float. */
  static float e8m0ToFloat(byte value) {
    int e = value & 0xff;
    if (e == 0xff) {
      return Float.NaN;
    }
    if (e == 0) {
      return 0x1p-127f;
    }
    return Float.intBitsToFloat(e << 23);
  }
}
