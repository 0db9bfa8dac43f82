package org.fedpeft.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

/**
 * The SHA-256 of a safetensors file's content, as {@link Safetensors#writeChecked} stores it under
 * {@link Safetensors#CHECKSUM_KEY} and {@link Safetensors#read} verifies it.
 *
 * <p>The content is what a reader gets back, independent of header layout: every metadata entry but
 * the checksum itself in key order, then every tensor in name order with its dtype, shape and data
 * bytes. Strings and byte runs are prefixed with their length, so no two contents share an input
 * stream.
 */
final class ContentChecksum {

  private final MessageDigest digest = Sha256.newDigest();
  private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

  /** Starts the digest with the metadata entries other than the checksum, in key order. */
  ContentChecksum(Map<String, String> sortedMetadata) {
    for (Map.Entry<String, String> e : sortedMetadata.entrySet()) {
      if (!e.getKey().equals(Safetensors.CHECKSUM_KEY)) {
        string(e.getKey());
        string(e.getValue());
      }
    }
  }

  /**
   * Adds a tensor's name, dtype, shape and data length; its data bytes follow with {@link #data}.
   */
  void tensor(String name, SafetensorsDtype dtype, long[] shape, long byteLength) {
    string(name);
    string(dtype.name());
    number(shape.length);
    for (long d : shape) {
      number(d);
    }
    number(byteLength);
  }

  /** Adds little-endian data bytes of the current tensor, from position to limit. */
  void data(ByteBuffer bytes) {
    digest.update(bytes);
  }

  /** The digest as lower-case hex; ends the computation. */
  String hex() {
    return HexFormat.of().formatHex(digest.digest());
  }

  private void string(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    number(utf8.length);
    digest.update(utf8);
  }

  private void number(long v) {
    scratch.putLong(0, v);
    digest.update(scratch.array(), 0, 8);
  }
}
