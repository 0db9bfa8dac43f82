package org.fedpeft.grpc;

import static org.fedpeft.grpc.Clients.adder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node and a server that disagree on TLS, over Netty on 127.0.0.1: one attempt tells, and the
 * node stops for good naming the mismatch and the flags to change, as it does for a server
 * certificate it does not trust. Before this, both directions tried again forever, only adding a
 * hint to each failed attempt; the timeouts below only catch that hang.
 */
@Timeout(120)
class TransportModeMismatchTest {

  @TempDir static Path tmp;
  private static Path certs;

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<ClientNode> nodes = new ArrayList<>();
  private final List<FederationServer> federations = new ArrayList<>();
  private final List<Server> servers = new ArrayList<>();

  @BeforeAll
  static void certificates() throws Exception {
    certs = tmp.resolve("certs");
    new CertificateGenerator(Duration.ofDays(1))
        .write(certs, List.of("localhost", "127.0.0.1"), List.of("a"));
  }

  @AfterEach
  void stop() {
    nodes.forEach(ClientNode::close);
    federations.forEach(FederationServer::close);
    servers.forEach(Server::shutdownNow);
    channels.forEach(ManagedChannel::shutdownNow);
  }

  /** A server on a free port of 127.0.0.1: with mutual TLS, or plaintext with {@code null}. */
  private Server server(TlsFiles files, Events events) throws Exception {
    FederationServer f =
        new FederationServer(
            FederationServer.Options.defaults()
                .withPopulation(List.of("a"))
                .withInsecure(files == null)
                .withListener(events));
    federations.add(f);
    Server s = Transport.startServer(new InetSocketAddress("127.0.0.1", 0), files, f);
    servers.add(s);
    return s;
  }

  private ClientNode node(Server server, TlsFiles files, Events events) throws Exception {
    ManagedChannel channel = Transport.channel("127.0.0.1", server.getPort(), files);
    channels.add(channel);
    ClientNode n =
        new ClientNode(
            channel,
            adder("a", 1, 1),
            ClientNode.Options.defaults("a").withBackoff(InProcess.FAST).withListener(events));
    nodes.add(n);
    n.start();
    return n;
  }

  /**
   * User audit, 5 December: a node started with --insecure against a TLS server saw only
   * "UNAVAILABLE (Network closed for unknown reason)"; the server now answers plaintext HTTP/2 with
   * a GOAWAY saying it speaks TLS only. That answer is certain (it carries the server's own words),
   * so the node stops after it; the server reports the attempt with the peer's address.
   */
  @Test
  void aPlaintextNodeFacingATlsServerStops() throws Exception {
    Events serverEvents = new Events();
    Server s = server(TlsFiles.server(certs), serverEvents);
    Events nodeEvents = new Events();
    ClientNode n = node(s, null, nodeEvents);
    assertEquals(null, n.awaitFinished());
    assertEquals(
        "the server at 127.0.0.1:"
            + s.getPort()
            + " speaks TLS only, but this node runs with --insecure (plaintext): use TLS files on"
            + " both sides (this node's --certs DIR, or --ca, --cert and --key, instead of"
            + " --insecure), or --insecure on both",
        n.refusal());
    assertFalse(n.serverNotTrusted());
    List<TransportEvent> failed =
        nodeEvents.all().stream()
            .filter(e -> e.kind() == TransportEvent.Kind.CONNECT_FAILED)
            .toList();
    assertEquals(1, failed.size(), failed.toString());
    assertEquals(
        "the stream failed: the server refused plaintext HTTP/2 (GOAWAY, INADEQUATE_SECURITY)",
        failed.get(0).detail());
    TransportEvent seen = serverEvents.await(e -> e.kind() == TransportEvent.Kind.HANDSHAKE_FAILED);
    assertTrue(seen.node().startsWith("127.0.0.1:"), seen.toString());
    assertTrue(
        seen.detail().startsWith("the node speaks plaintext HTTP/2, not TLS"), seen.detail());
    assertEquals(0, serverEvents.count(e -> e.kind() == TransportEvent.Kind.CONNECTED));
  }

  /**
   * QA, 4 December: the server closed a refused plaintext connection at once, with the peer's later
   * bytes unread, so Linux ended it with a reset (every time, with 70,000 bytes after the preface).
   * On loopback the peer still read the GOAWAY first, but on a lossy network a reset can overtake a
   * GOAWAY segment that is sent again, and the node then sees a bare reset and retries. The server
   * now shuts its output down after the GOAWAY and drops what the peer still sends, so the peer
   * reads the GOAWAY and then an orderly end.
   */
  @Test
  void aRefusedPlaintextPeerThatKeepsSendingReadsTheGoawayAndAnOrderlyEnd() throws Exception {
    Events serverEvents = new Events();
    Server s = server(TlsFiles.server(certs), serverEvents);
    byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] sent = Arrays.copyOf(preface, preface.length + 70_000);
    try (Socket socket = new Socket("127.0.0.1", s.getPort())) {
      socket.setSoTimeout(60_000); // only bounds a server that never ends the connection
      socket.getOutputStream().write(sent);
      socket.getOutputStream().flush();
      byte[] got = socket.getInputStream().readAllBytes(); // a reset throws here
      assertTrue(
          new String(got, StandardCharsets.ISO_8859_1).contains(HandshakeWatch.PLAINTEXT_REFUSED),
          got.length + " bytes");
    }
    TransportEvent seen = serverEvents.await(e -> e.kind() == TransportEvent.Kind.HANDSHAKE_FAILED);
    assertTrue(
        seen.detail().startsWith("the node speaks plaintext HTTP/2, not TLS"), seen.detail());
  }

  /**
   * The reverse: a TLS node facing a plaintext ({@code --insecure}) server gets an HTTP/2 answer to
   * its TLS handshake (Netty's NotSslRecordException), also on every attempt, so it stops too.
   */
  @Test
  void aTlsNodeFacingAPlaintextServerStops() throws Exception {
    Events serverEvents = new Events();
    Server s = server(null, serverEvents);
    Events nodeEvents = new Events();
    ClientNode n = node(s, TlsFiles.client(certs, "a"), nodeEvents);
    assertEquals(null, n.awaitFinished());
    assertEquals(
        "the server at 127.0.0.1:"
            + s.getPort()
            + " does not speak TLS (it runs with --insecure), but this node does: use --insecure"
            + " on both sides, or TLS files on both (the server's --certs DIR, and this node's"
            + " --certs DIR or --ca, --cert and --key)",
        n.refusal());
    assertFalse(n.serverNotTrusted());
    List<TransportEvent> failed =
        nodeEvents.all().stream()
            .filter(e -> e.kind() == TransportEvent.Kind.CONNECT_FAILED)
            .toList();
    assertEquals(1, failed.size(), failed.toString());
    String detail = failed.get(0).detail();
    assertTrue(detail.contains("NotSslRecordException"), detail);
    assertEquals(1, detail.lines().count(), detail);
    assertFalse(detail.contains("trying again"), detail);
    assertEquals(0, serverEvents.count(e -> e.kind() == TransportEvent.Kind.CONNECTED));
  }
}
