package org.fedpeft.grpc;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TCP transport (grpc-java over Netty): a server with mutual TLS (client certificates REQUIRED and
 * checked against the configured CA) or, only when asked, plaintext; and client channels to match.
 * Both sides send HTTP/2 keep-alive pings every 30 s on an open stream and drop a peer that does
 * not answer within 10 s, so a vanished peer (a cut network) is noticed even when no message is
 * due.
 */
public final class Transport {

  private static final long KEEPALIVE_SECONDS = 30;
  private static final long KEEPALIVE_TIMEOUT_SECONDS = 10;

  private Transport() {}

  /**
   * Starts a gRPC server serving {@code federation}.
   *
   * @param address where to listen (port 0: any free port, see {@link Server#getPort()})
   * @param tls the server's files for mutual TLS; null for plaintext (then {@code federation} must
   *     be insecure, since no certificate names the nodes). With TLS, each failed handshake reaches
   *     {@code federation}'s listener as a {@link TransportEvent.Kind#HANDSHAKE_FAILED} event
   *     (repeats collapsed), and a plaintext node is told that this server speaks TLS only
   * @throws IOException if the address cannot be bound
   * @throws IllegalArgumentException if a TLS file cannot be read, or plaintext is asked for a
   *     server that takes identities from certificates
   */
  public static Server startServer(
      InetSocketAddress address, TlsFiles tls, FederationServer federation) throws IOException {
    ServerCredentials credentials;
    if (tls == null) {
      if (!federation.options().insecure()) {
        throw new IllegalArgumentException(
            "a plaintext server cannot authenticate nodes by certificate; make the federation"
                + " server insecure explicitly or give TLS files");
      }
      credentials = InsecureServerCredentials.create();
    } else {
      tls.requireReadable();
      // Every failed handshake is reported to the federation server's listener, with the peer's
      // address and why: otherwise a node with the wrong certificate knocks without a trace.
      credentials =
          HandshakeWatch.watching(
              TlsServerCredentials.newBuilder()
                  .keyManager(tls.certificate().toFile(), tls.privateKey().toFile())
                  .trustManager(tls.caCertificate().toFile())
                  .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                  .build(),
              federation::handshakeFailed);
    }
    InetSocketAddress bind =
        address.isUnresolved()
            ? new InetSocketAddress(address.getHostString(), address.getPort())
            : address;
    return NettyServerBuilder.forAddress(bind, credentials)
        .addService(federation.service())
        .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        .keepAliveTimeout(KEEPALIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .permitKeepAliveTime(KEEPALIVE_SECONDS / 2, TimeUnit.SECONDS)
        .build()
        .start();
  }

  /**
   * A channel to a federation server.
   *
   * @param host the server's host name or IP address, as named in its certificate
   * @param port the server's port
   * @param tls this node's files for mutual TLS; null for plaintext
   * @throws IllegalArgumentException if a TLS file cannot be read
   */
  public static ManagedChannel channel(String host, int port, TlsFiles tls) throws IOException {
    ChannelCredentials credentials;
    if (tls == null) {
      credentials = InsecureChannelCredentials.create();
    } else {
      tls.requireReadable();
      credentials =
          TlsChannelCredentials.newBuilder()
              .keyManager(tls.certificate().toFile(), tls.privateKey().toFile())
              .trustManager(new NamingTrustManager(trustManagerOf(tls.caCertificate()), host))
              .build();
    }
    return NettyChannelBuilder.forAddress(host, port, credentials)
        .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        .keepAliveTimeout(KEEPALIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .build();
  }

  /** The JDK's trust manager for the CA certificates in {@code caFile}. */
  private static X509ExtendedTrustManager trustManagerOf(Path caFile) throws IOException {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      if (i == 0) {
        throw new IllegalArgumentException(caFile + ": no certificate in it");
      }
      TrustManagerFactory f =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      for (TrustManager m : f.getTrustManagers()) {
        if (m instanceof X509ExtendedTrustManager x) {
          return x;
        }
      }
      throw new IllegalStateException("the JDK offers no X.509 trust manager");
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(caFile + ": not a CA certificate: " + e.getMessage(), e);
    }
  }

  /**
   * The JDK's check of the server's certificate (chain and, as gRPC asks, the dialled host name),
   * except that a certificate that does not name the dialled host fails with a {@link
   * ServerNameMismatchException} naming the names it has.
   */
  private static final class NamingTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;
    private final String host;

    NamingTrustManager(X509ExtendedTrustManager delegate, String host) {
      this.delegate = delegate;
      this.host = host;
    }

    private CertificateException named(X509Certificate[] chain, CertificateException e) {
      String m = e.getMessage();
      if (chain != null
          && chain.length > 0
          && m != null
          && (m.startsWith("No subject alternative") || m.startsWith("No name matching"))) {
        List<String> names = new ArrayList<>();
        for (String n : Certificates.alternativeNames(chain[0])) {
          if (!n.startsWith("client:")) {
            names.add(n);
          }
        }
        return new ServerNameMismatchException(names, host, e);
      }
      return e;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        throw named(chain, e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        throw named(chain, e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType);
      } catch (CertificateException e) {
        throw named(chain, e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }

  /**
   * Parses {@code HOST:PORT} ({@code [v6]:PORT} for IPv6) into an unresolved address.
   *
   * @throws IllegalArgumentException naming the text if it is not of that form
   */
  public static InetSocketAddress parseAddress(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("address '" + text + "' is not HOST:PORT");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("address '" + text + "' has no numeric port", e);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("address '" + text + "': port " + port + " out of range");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }
}
