package org.fedpeft.grpc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

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
            "TLS file " + p + " does not exist or cannot be read (see 'fedpeft certs')");
      }
    }
    return this;
  }
}
