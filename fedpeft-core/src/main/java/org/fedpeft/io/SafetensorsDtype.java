package org.fedpeft.io;

import java.util.Locale;

/**
 * The element types of the safetensors format that this reader understands, by their header name.
 *
 * <p>Sub-byte types (F4, F6_*) and complex types are not supported and are reported as unknown.
 */
public enum SafetensorsDtype {
  /** Boolean, one byte per value (0 = false). */
  BOOL(1, Kind.BOOLEAN),
  /** Unsigned 8-bit integer. */
  U8(1, Kind.INTEGER),
  /** Signed 8-bit integer. */
  I8(1, Kind.INTEGER),
  /** 8-bit float, 5 exponent bits and 2 mantissa bits, IEEE-like (infinities and NaNs). */
  F8_E5M2(1, Kind.FLOAT),
  /** 8-bit float, 4 exponent bits and 3 mantissa bits, the "fn" variant (no infinities). */
  F8_E4M3(1, Kind.FLOAT),
  /** 8-bit power of two (exponent only, bias 127, 0xFF is NaN), used for MX block scales. */
  F8_E8M0(1, Kind.FLOAT),
  /** Signed 16-bit integer. */
  I16(2, Kind.INTEGER),
  /** Unsigned 16-bit integer. */
  U16(2, Kind.INTEGER),
  /** IEEE 754 half precision. */
  F16(2, Kind.FLOAT),
  /** bfloat16: the upper 16 bits of a float32. */
  BF16(2, Kind.FLOAT),
  /** Signed 32-bit integer. */
  I32(4, Kind.INTEGER),
  /** Unsigned 32-bit integer. */
  U32(4, Kind.INTEGER),
  /** IEEE 754 single precision. */
  F32(4, Kind.FLOAT),
  /** IEEE 754 double precision. */
  F64(8, Kind.FLOAT),
  /** Signed 64-bit integer. */
  I64(8, Kind.INTEGER),
  /** Unsigned 64-bit integer. */
  U64(8, Kind.INTEGER);

  /** Broad family of a dtype, deciding which conversions make sense. */
  public enum Kind {
    /** Floating point values. */
    FLOAT,
    /** Integer values. */
    INTEGER,
    /** Booleans. */
    BOOLEAN
  }

  private final int byteSize;
  private final Kind kind;

  SafetensorsDtype(int byteSize, Kind kind) {
    this.byteSize = byteSize;
    this.kind = kind;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** The family of this dtype. */
  public Kind kind() {
    return kind;
  }

  /**
   * The dtype with the given header name (exact, case-sensitive, as the format requires).
   *
   * @param name the header name, for example {@code "F32"}
   * @return the dtype, or {@code null} if the name is unknown
   */
  public static SafetensorsDtype fromHeaderName(String name) {
    if (name == null || !name.equals(name.toUpperCase(Locale.ROOT))) {
      return null;
    }
    try {
      return valueOf(name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
