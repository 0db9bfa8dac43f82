package org.fedpeft.grpc;

import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/** Reading identities out of X.509 certificates. */
public final class Certificates {

  private Certificates() {}

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
