package org.fedpeft.grpc;

import io.grpc.ServerCredentials;
import io.grpc.internal.ObjectPool;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.ChannelFutureListener;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.socket.DuplexChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslHandler;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import io.grpc.netty.shaded.io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Watches the TLS handshakes of a server's connections: each connection whose handshake fails is
 * reported with the peer's address and why ({@link #reason}), and a peer that opens plaintext
 * HTTP/2 (a node started with {@code --insecure}) is answered with an HTTP/2 GOAWAY saying that
 * this server speaks TLS only ({@link #PLAINTEXT_REFUSED}), which such a node recognises, instead
 * of a bare close it cannot tell from other network errors.
 *
 * <p>It wraps gRPC's own TLS negotiation (from {@link io.grpc.TlsServerCredentials}): a handler in
 * front of it looks at the first bytes a connection receives and, for a TLS client, listens to the
 * handshake's outcome; nothing else of the connection passes through it. gRPC offers no public hook
 * for failed handshakes (it logs them at FINE level without the peer's address), so this uses its
 * {@code Internal*} negotiator API, as gRPC's own xDS security does. The public hooks do not do the
 * same: a {@link io.grpc.ServerTransportFilter} hears of a connection once it is ready, after a
 * successful handshake ({@code transportReady}, with the peer's address in its attributes); of a
 * connection whose handshake failed it hears only {@code transportTerminated}, with null attributes
 * (gRPC's {@code ServerImpl} keeps those that {@code transportReady} returned), so neither the peer
 * nor the reason; and a {@link io.grpc.ServerInterceptor} sees calls, which such a connection never
 * carries. Neither can answer plaintext HTTP/2 with a GOAWAY of its own. Nor can an {@code
 * SslContext} given to {@code NettyServerBuilder.sslContext} (public, but without gRPC's {@code
 * ServerCredentials}): gRPC asks it only for an {@code SSLEngine} per connection, without the
 * peer's address, and builds the {@code SslHandler} itself, so the context sees neither the
 * connection nor its peer. {@code MutualTlsTest} and {@code TransportModeMismatchTest} hold the
 * behaviour this gives.
 */
final class HandshakeWatch {

  /**
   * The debug text of the GOAWAY frame that answers plaintext HTTP/2 on a TLS port; a {@link
   * ClientNode} that finds it in its stream's failure knows it spoke plaintext to a TLS server.
   */
  static final String PLAINTEXT_REFUSED =
      "fedpeft: this server speaks TLS only; a node started with --insecure (plaintext) cannot"
          + " connect";

  /** HTTP/2's client connection preface, which a plaintext gRPC client sends first. */
  private static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  /** HTTP/2 error code INADEQUATE_SECURITY (RFC 9113, section 7). */
  private static final int INADEQUATE_SECURITY = 0xc;

  /** How long a refused plaintext connection is kept open for the node to close it first. */
  static final Duration LINGER = Duration.ofSeconds(5);

  private HandshakeWatch() {}

  /**
   * TLS server credentials that report every failed handshake, and every plaintext connection, to
   * {@code failed} as (peer address, reason).
   */
  static ServerCredentials watching(
      ServerCredentials tls, BiConsumer<SocketAddress, String> failed) {
    InternalProtocolNegotiator.ServerFactory inner =
        InternalNettyServerCredentials.toNegotiator(tls);
    return InternalNettyServerCredentials.create(
        new InternalProtocolNegotiator.ServerFactory() {
          @Override
          public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator(
              ObjectPool<? extends Executor> executors) {
            return new Negotiator(inner.newNegotiator(executors), failed);
          }
        });
  }

  private static final class Negotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
    private final InternalProtocolNegotiator.ProtocolNegotiator tls;
    private final BiConsumer<SocketAddress, String> failed;

    Negotiator(
        InternalProtocolNegotiator.ProtocolNegotiator tls,
        BiConsumer<SocketAddress, String> failed) {
      this.tls = tls;
      this.failed = failed;
    }

    @Override
    public AsciiString scheme() {
      return tls.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
      return new FirstBytes(tls.newHandler(grpcHandler), failed);
    }

    @Override
    public void close() {
      tls.close();
    }
  }

  /**
   * Sits in front of gRPC's TLS negotiation until the connection's first bytes arrive: plaintext
   * HTTP/2 is answered and closed here; anything else goes on to the TLS handler, whose handshake
   * outcome is watched; then this handler leaves the pipeline.
   *
   * <p>The plaintext answer ends with a lingering close: once the GOAWAY is written, the output is
   * shut down (a FIN after it), and the node's further bytes are read and dropped until the node
   * closes its side or {@link #LINGER} passes. Closing at once would make Linux answer bytes that
   * arrive later (a gRPC node sends its WINDOW_UPDATE after its preface) with a reset, which on a
   * lossy network can reach the node before a lost GOAWAY segment is sent again; the node would
   * then see a bare reset and retry instead of stopping with the mismatch.
   */
  private static final class FirstBytes extends ChannelInboundHandlerAdapter {
    private final ChannelHandler tls;
    private final BiConsumer<SocketAddress, String> failed;
    private boolean refused; // the connection was answered with the GOAWAY; drop what follows

    FirstBytes(ChannelHandler tls, BiConsumer<SocketAddress, String> failed) {
      this.tls = tls;
      this.failed = failed;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.pipeline().addAfter(ctx.name(), null, tls);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (refused) {
        ReferenceCountUtil.release(msg);
        return;
      }
      SocketAddress peer = ctx.channel().remoteAddress();
      if (msg instanceof ByteBuf b && plaintextHttp2(b)) {
        b.release();
        refused = true;
        failed.accept(
            peer,
            "the node speaks plaintext HTTP/2, not TLS: it runs with --insecure, while this"
                + " server requires mutual TLS (told so, connection closed)");
        ctx.writeAndFlush(refusal())
            .addListener(
                (ChannelFutureListener)
                    written -> {
                      if (!written.isSuccess() || !(ctx.channel() instanceof DuplexChannel d)) {
                        ctx.close();
                        return;
                      }
                      d.shutdownOutput();
                      ctx.executor()
                          .schedule(() -> ctx.close(), LINGER.toMillis(), TimeUnit.MILLISECONDS);
                    });
        return;
      }
      SslHandler ssl = ctx.pipeline().get(SslHandler.class);
      if (ssl != null) {
        ssl.handshakeFuture()
            .addListener(
                f -> {
                  if (!f.isSuccess()) {
                    failed.accept(peer, reason(f.cause()));
                  }
                });
      }
      ctx.pipeline().remove(this);
      ctx.fireChannelRead(msg);
    }
  }

  /** Whether the first bytes of a connection begin (or are the beginning of) HTTP/2's preface. */
  static boolean plaintextHttp2(ByteBuf b) {
    int n = Math.min(b.readableBytes(), PREFACE.length);
    if (n < 3) {
      return false; // too little to tell; TLS's first byte is 0x16 anyway
    }
    for (int i = 0; i < n; i++) {
      if (b.getByte(b.readerIndex() + i) != PREFACE[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * What a plaintext HTTP/2 client is told: an empty SETTINGS frame (the server's preface) and a
   * GOAWAY frame with error INADEQUATE_SECURITY and {@link #PLAINTEXT_REFUSED} as debug data.
   */
  private static ByteBuf refusal() {
    byte[] debug = PLAINTEXT_REFUSED.getBytes(StandardCharsets.UTF_8);
    ByteBuf out = Unpooled.buffer(9 + 9 + 8 + debug.length);
    frameHeader(out, 0, 0x4); // SETTINGS, no parameters
    frameHeader(out, 8 + debug.length, 0x7); // GOAWAY
    out.writeInt(0); // last stream id: none was processed
    out.writeInt(INADEQUATE_SECURITY);
    out.writeBytes(debug);
    return out;
  }

  private static void frameHeader(ByteBuf out, int length, int type) {
    out.writeMedium(length);
    out.writeByte(type);
    out.writeByte(0); // flags
    out.writeInt(0); // stream 0: the connection
  }

  /**
   * Why a handshake failed, in the operator's words where the cause is known: a node that sent no
   * certificate (a node whose certificate another CA signed sends none: its TLS library offers only
   * certificates of the CAs this server names), a certificate this server's CA did not sign, a node
   * that rejected this server's certificate (its alert), a peer that does not speak TLS, or a
   * connection closed mid-handshake; otherwise the TLS library's message.
   */
  static String reason(Throwable t) {
    String all = chain(t);
    if (all.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE")
        || all.contains("Empty client certificate chain")
        || all.contains("Empty server certificate chain")) {
      return "the node presented no certificate signed by this server's CA (a node whose"
          + " certificate another CA signed, e.g. from the --certs folder of another 'fedpeft"
          + " certs' run, presents none)";
    }
    if (all.contains("CERTIFICATE_VERIFY_FAILED")
        || all.contains("PKIX path")
        || all.contains("CertPathValidatorException")
        || all.contains("unable to find valid certification path")) {
      return "the node's certificate is not signed by this server's CA, or not valid now ("
          + ClientNode.oneLine(lastMessage(t))
          + ")";
    }
    int alert = all.indexOf("TLSV1_ALERT_");
    if (alert < 0) {
      alert = all.indexOf("SSLV3_ALERT_");
    }
    if (alert >= 0 || all.contains("Received fatal alert")) {
      String name =
          alert >= 0
              ? all.substring(alert).split("[^A-Z0-9_]", 2)[0]
              : all.substring(all.indexOf("Received fatal alert")).split("[;\n]", 2)[0];
      return "the node ended the handshake with an alert ("
          + name
          + "): it did not accept this server's certificate (is the node's ca.crt the one that"
          + " signed this server's certificate, and does the certificate name the address the"
          + " node dials?)";
    }
    if (all.contains("NotSslRecordException")) {
      return "the peer does not speak TLS (" + ClientNode.oneLine(lastMessage(t)) + ")";
    }
    if (all.contains("ClosedChannelException")
        || all.contains("closed while SSL/TLS handshake")
        || all.contains("Connection reset")) {
      return "the connection closed during the TLS handshake";
    }
    return "the TLS handshake failed: " + ClientNode.oneLine(lastMessage(t));
  }

  /** The class names and messages of {@code t} and its causes (at most ten deep). */
  private static String chain(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c : CauseChain.of(t, 10)) {
      b.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append("; ");
    }
    return b.toString();
  }

  /** The message of the deepest cause of {@code t} that has one (at most ten deep). */
  private static String lastMessage(Throwable t) {
    String m = t == null ? "unknown" : t.toString();
    for (Throwable c : CauseChain.of(t, 10)) {
      if (c.getMessage() != null) {
        m = c.getMessage();
      }
    }
    return m.length() > 300 ? m.substring(0, 300) + "..." : m;
  }

  /** The address as HOST:PORT (a numeric host), or its text. */
  static String describe(SocketAddress a) {
    if (a instanceof InetSocketAddress i && i.getAddress() != null) {
      String host = i.getAddress().getHostAddress();
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + i.getPort();
    }
    return String.valueOf(a);
  }
}
