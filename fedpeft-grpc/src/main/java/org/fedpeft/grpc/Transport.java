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
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

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
   *     be insecure, since no certificate names the nodes)
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
      credentials =
          TlsServerCredentials.newBuilder()
              .keyManager(tls.certificate().toFile(), tls.privateKey().toFile())
              .trustManager(tls.caCertificate().toFile())
              .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
              .build();
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
              .trustManager(tls.caCertificate().toFile())
              .build();
    }
    return NettyChannelBuilder.forAddress(host, port, credentials)
        .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        .keepAliveTimeout(KEEPALIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .build();
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
