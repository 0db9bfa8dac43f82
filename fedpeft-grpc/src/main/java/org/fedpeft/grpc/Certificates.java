package org.fedpeft.grpc;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/** Reading identities out of X.509 certificates. */
public final class Certificates {

  /**
   * The prefix of the subject alternative name URIs that list the clients a node certificate may
   * speak for ({@code urn:fedpeft:client:client-07}).
   */
  public static final String HOSTED_CLIENT_URI = "urn:fedpeft:client:";

  /** How {@link #alternativeNames} writes a hosted client: {@code client:ID}. */
  private static final String HOSTED_CLIENT = "client:";

  private Certificates() {}

  /**
   * The clients a node certificate may speak for: its subject alternative names that are URIs
   * starting with {@value #HOSTED_CLIENT_URI}, without the prefix, in certificate order.
   *
   * @return the ids, empty for a certificate of one client
   */
  public static List<String> hostedClients(X509Certificate certificate) {
    List<String> ids = new ArrayList<>();
    for (String name : alternativeNames(certificate)) {
      if (name.startsWith(HOSTED_CLIENT)) {
        ids.add(name.substring(HOSTED_CLIENT.length()));
      }
    }
    return ids;
  }

  /**
   * A certificate's DNS names, IP addresses and hosted client ids (its subject alternative names of
   * those kinds), in certificate order; IP addresses as {@link InetAddress#getHostAddress()} writes
   * them, hosted clients as {@code client:ID}.
   */
  public static List<String> alternativeNames(X509Certificate certificate) {
    List<String> out = new ArrayList<>();
    try {
      Collection<List<?>> names = certificate.getSubjectAlternativeNames();
      if (names == null) {
        return out;
      }
      for (List<?> entry : names) {
        if (entry.size() < 2 || !(entry.get(1) instanceof String value)) {
          continue;
        }
        switch ((Integer) entry.get(0)) {
          case 2 -> out.add(value);
          case 6 -> out.add(uriName(value));
          case 7 -> {
            try {
              out.add(InetAddress.getByName(value).getHostAddress());
            } catch (UnknownHostException e) {
              out.add(value);
            }
          }
          default -> {}
        }
      }
    } catch (CertificateParsingException e) {
      return out;
    }
    return out;
  }

  /** A URI name as {@link #alternativeNames} writes it: {@code client:ID} for a hosted client. */
  static String uriName(String uri) {
    return uri.startsWith(HOSTED_CLIENT_URI)
        ? HOSTED_CLIENT + uri.substring(HOSTED_CLIENT_URI.length())
        : uri;
  }

  /**
   * The subject's common name (CN), the identity of a node.
   *
   * @return the CN, or null if the subject has none; with several, the first
   */
  public static String commonName(X509Certificate certificate) {
    X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    RDN[] cns = subject.getRDNs(BCStyle.CN);
    if (cns.length == 0 || cns[0].getFirst() == null) {
      return null;
    }
    return IETFUtils.valueToString(cns[0].getFirst().getValue());
  }
}
