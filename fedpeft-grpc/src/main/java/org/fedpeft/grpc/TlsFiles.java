package org.fedpeft.grpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.Objects;
import org.fedpeft.io.CommandName;

/**
 * The PEM files one side of a mutual-TLS connection needs: the CA certificate it trusts, its own
 * certificate and its private key (PKCS#8). {@link #server(Path)} and {@link #client(Path, String)}
 * name the files in a folder written by {@link CertificateGenerator}.
 *
 * @param caCertificate the CA that signed the other side's certificate
 * @param certificate this side's certificate (a chain may follow it in the same file)
 * @param privateKey this side's private key, unencrypted PKCS#8 PEM
 */
public record TlsFiles(Path caCertificate, Path certificate, Path privateKey) {

  /** Checks that no path is null. */
  public TlsFiles {
    Objects.requireNonNull(caCertificate, "caCertificate");
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
  }

  /** The server's files in a certificates folder. */
  public static TlsFiles server(Path dir) {
    return new TlsFiles(
        dir.resolve(CertificateGenerator.CA_CERT),
        dir.resolve(CertificateGenerator.SERVER_CERT),
        dir.resolve(CertificateGenerator.SERVER_KEY));
  }

  /** A client's files in a certificates folder. */
  public static TlsFiles client(Path dir, String name) {
    return new TlsFiles(
        dir.resolve(CertificateGenerator.CA_CERT),
        dir.resolve(CertificateGenerator.clientCertName(name)),
        dir.resolve(CertificateGenerator.clientKeyName(name)));
  }

  /**
   * Checks that the three files exist and are readable.
   *
   * @throws IllegalArgumentException naming the first that is not
   */
  public TlsFiles requireReadable() {
    for (Path p : new Path[] {caCertificate, certificate, privateKey}) {
      if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
        throw new IllegalArgumentException(
            "TLS file "
                + p
                + " does not exist or cannot be read (see '"
                + CommandName.command("certs")
                + "')");
      }
    }
    return this;
  }

  /**
   * Reads the three files and checks what the other side would otherwise reject only during the
   * handshake: each file parses, the private key belongs to the certificate, both certificates are
   * valid now, and, with {@code oneCa}, the CA certificate signed this side's certificate. That
   * last holds in a folder of {@link CertificateGenerator}, where one CA signs every certificate;
   * with files of another PKI the other side may trust another issuer.
   *
   * @param oneCa whether this side's certificate must be signed by {@link #caCertificate()}
   * @throws IllegalArgumentException naming the file and what is wrong with it
   * @throws UnreadableFileException naming the file that cannot be read
   */
  public TlsFiles requireUsable(boolean oneCa) throws UnreadableFileException {
    requireReadable();
    X509Certificate ca = read(caCertificate, CertificateGenerator::readCertificate);
    X509Certificate own = read(certificate, CertificateGenerator::readCertificate);
    PrivateKey key = read(privateKey, CertificateGenerator::readPrivateKey);
    Date now = new Date();
    requireValidAt(ca, caCertificate, now);
    requireValidAt(own, certificate, now);
    if (!belongTogether(key, own.getPublicKey())) {
      throw new IllegalArgumentException(
          privateKey
              + " is not the private key of "
              + certificate
              + " ("
              + own.getSubjectX500Principal().getName()
              + "); give the key that was written with that certificate");
    }
    if (oneCa) {
      try {
        own.verify(ca.getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException(
            certificate
                + " (issued by "
                + own.getIssuerX500Principal().getName()
                + ") was not signed by the CA of "
                + caCertificate
                + " ("
                + ca.getSubjectX500Principal().getName()
                + "): the files come from different 'fedpeft certs' folders; give this side"
                + " ca.crt and its own pair from the folder of the CA the other side trusts",
            e);
      }
    }
    return this;
  }

  /**
   * A TLS file that could not be read, {@link #file()}. The cause is the reader's IOException: a
   * {@link java.nio.file.FileSystemException} where the file system refused the path (which the
   * caller may count as bad input), another where the machine failed while reading (an I/O error).
   */
  public static final class UnreadableFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    UnreadableFileException(Path file, IOException cause) {
      super(file + ": " + cause.getMessage(), cause);
      this.file = file;
    }

    /** The file that could not be read. */
    public Path file() {
      return file;
    }

    /** The reader's IOException. */
    @Override
    public synchronized IOException getCause() {
      return (IOException) super.getCause();
    }
  }

  /** A reader of one PEM file. */
  private interface PemReader<T> {
    T read(Path file) throws IOException;
  }

  /** What {@code reader} reads from {@code file}; a failed read names the file. */
  private static <T> T read(Path file, PemReader<T> reader) throws UnreadableFileException {
    try {
      return reader.read(file);
    } catch (IOException e) {
      throw new UnreadableFileException(file, e);
    }
  }

  /** Checks that a certificate is valid at {@code time}, naming its file if not. */
  static void requireValidAt(X509Certificate c, Path file, Date time) {
    try {
      c.checkValidity(time);
    } catch (CertificateExpiredException e) {
      throw new IllegalArgumentException(
          file + " expired on " + c.getNotAfter().toInstant() + "; issue a new one", e);
    } catch (CertificateNotYetValidException e) {
      throw new IllegalArgumentException(
          file
              + " is not valid before "
              + c.getNotBefore().toInstant()
              + " (is this machine's clock right?)",
          e);
    }
  }

  /**
   * Whether a private key and a public key are a pair: a signature made with the one verifies with
   * the other. Keys of an algorithm this check does not know count as a pair (the handshake will
   * tell).
   */
  static boolean belongTogether(PrivateKey key, PublicKey pub) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC", "ECDSA" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return true;
    }
    if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
      return false;
    }
    byte[] probe = "fedpeft key check".getBytes(StandardCharsets.US_ASCII);
    try {
      Signature sign = Signature.getInstance(algorithm);
      sign.initSign(key);
      sign.update(probe);
      byte[] signature = sign.sign();
      Signature verify = Signature.getInstance(algorithm);
      verify.initVerify(pub);
      verify.update(probe);
      return verify.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
