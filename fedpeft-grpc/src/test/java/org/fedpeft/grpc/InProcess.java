package org.fedpeft.grpc;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.fedpeft.federation.ClientApp;

/**
 * A federation server on gRPC's in-process transport (no sockets, no TLS, so node identities are
 * the names the nodes claim) and client nodes connected to it.
 */
final class InProcess implements AutoCloseable {

  static final ClientNode.Backoff FAST =
      new ClientNode.Backoff(Duration.ofMillis(10), Duration.ofMillis(200), 2);

  final String name = InProcessServerBuilder.generateName();
  final Events serverEvents = new Events();
  FederationServer federation;
  private Server server;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<Runnable> closeables = new ArrayList<>();

  InProcess(FederationServer.Options options) throws IOException {
    startServer(options);
  }

  /** Starts a (new) server under the same name. */
  void startServer(FederationServer.Options options) throws IOException {
    startServer(options, f -> {});
  }

  /**
   * Starts a (new) server under the same name, handing its federation to {@code beforeServing}
   * before the first node can reach it (e.g. to finish the run before any node connects, as a
   * finished run's resume does).
   */
  void startServer(FederationServer.Options options, Consumer<FederationServer> beforeServing)
      throws IOException {
    federation = new FederationServer(options.withInsecure(true).withListener(serverEvents));
    beforeServing.accept(federation);
    server = InProcessServerBuilder.forName(name).addService(federation.service()).build().start();
  }

  /** Stops the server abruptly, as a crash would. */
  void stopServer() {
    federation.close();
    server.shutdownNow();
  }

  ManagedChannel channel() {
    ManagedChannel c = InProcessChannelBuilder.forName(name).build();
    channels.add(c);
    return c;
  }

  ClientNode node(String id, ClientApp app, Events events) {
    return node(ClientNode.Options.defaults(id).withBackoff(FAST).withListener(events), app);
  }

  ClientNode node(ClientNode.Options options, ClientApp app) {
    ClientNode n = new ClientNode(channel(), app, options);
    closeables.add(n::close);
    n.start();
    return n;
  }

  RawNode raw(String id, RawNode.Responder responder) {
    return raw(id, responder, true);
  }

  /** A raw node that answers WELCOME with READY at once, or only when told. */
  RawNode raw(String id, RawNode.Responder responder, boolean answerWelcome) {
    RawNode n = new RawNode(channel(), id, responder, answerWelcome);
    closeables.add(n::close);
    return n;
  }

  @Override
  public void close() {
    for (Runnable c : closeables) {
      c.run();
    }
    federation.close();
    server.shutdownNow();
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
  }
}
