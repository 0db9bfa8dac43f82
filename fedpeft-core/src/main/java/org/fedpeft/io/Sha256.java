package org.fedpeft.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 fingerprints of files, as recorded in run manifests, and of other content. */
public final class Sha256 {
  private Sha256() {}

  /** A fresh SHA-256 digest (every JVM has one). */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The SHA-256 of {@code content}, as lower-case hex. */
  public static String ofBytes(byte[] content) {
    return hex(newDigest().digest(content));
  }

  /** The digest {@code md} completes (and resets), as lower-case hex. */
  public static String hex(MessageDigest md) {
    return hex(md.digest());
  }

  private static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }

  /** The SHA-256 of a file's bytes, as lower-case hex. */
  public static String of(Path file) throws IOException {
    MessageDigest md = newDigest();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return hex(md);
  }
}
