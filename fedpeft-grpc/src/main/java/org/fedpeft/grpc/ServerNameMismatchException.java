package org.fedpeft.grpc;

import java.security.cert.CertificateException;
import java.util.List;
import org.fedpeft.io.CommandName;

/**
 * A client node's check of the server's certificate failed because the certificate does not name
 * the host the node dialled (its subject alternative names hold neither that DNS name nor that IP
 * address). The certificate is otherwise signed by the CA the node trusts. Trying again cannot
 * help: the node must dial one of the names, or the server's certificate must be issued again
 * naming the address.
 */
public final class ServerNameMismatchException extends CertificateException {

  private static final long serialVersionUID = 1L;

  /**
   * @param names the DNS names and IP addresses the server's certificate names
   * @param dialled the host the node dialled
   * @param cause the TLS check's own exception
   */
  public ServerNameMismatchException(List<String> names, String dialled, Throwable cause) {
    super(
        "the server's certificate names "
            + names
            + ", not "
            + dialled
            + ": dial one of those names, or issue the server's certificate again with "
            + CommandName.command("certs --server-names"),
        cause);
  }
}
