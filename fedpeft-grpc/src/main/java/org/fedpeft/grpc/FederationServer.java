package org.fedpeft.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientDeclinedException;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.EvaluateInstructions;
import org.fedpeft.federation.EvaluateResult;
import org.fedpeft.federation.FederatedRound;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.io.Words;

/**
 * The server side of federation over gRPC: client nodes connect to it, and each connected node is
 * offered to the round driver as a {@link ClientApp} ({@link #clientApp(String)}) whose {@code fit}
 * and {@code evaluate} send the instruction bytes to the node and wait for its reply. The server
 * therefore runs the same {@link FederatedRound} as the simulation, with the same strategy,
 * sampling, timeouts and validation; this class only carries bytes and checks where they come from.
 *
 * <p>Protocol (one bidirectional stream per node, {@link FederationProtocol#CONNECT}): the node
 * sends HELLO; the server establishes the node's identity (from the common name of its TLS client
 * certificate, or the client named in HELLO if the certificate lists it among the clients it hosts
 * ({@link Certificates#hostedClients}: one node certificate, one stream per hosted client), or,
 * only with {@link Options#insecure()}, from the name in HELLO), refuses it if it is outside the
 * population, and answers WELCOME with the identity, the run id and the {@link RunInfo} (the run's
 * labels, its frozen model). The node checks its data and model against the run and answers READY,
 * or REFUSED with its reason (its data does not fit the run's labels, or its model cannot serve the
 * run), after which it ends its stream: only a READY node is connected ({@link #connectedNodes()},
 * {@link #awaitConnected}) and gets requests, so a node that refuses the run never counts towards a
 * wait for the population; its reason is kept ({@link #refusals()}). A request is a fit or evaluate
 * instruction message tagged with the run id, the round and a request id unique in this server,
 * sent in chunks; the node replies with its update or result in chunks under the same tags, or with
 * FAILED/DECLINED and a reason. A node that refuses the run is reported as a REFUSED event with its
 * reason. A node that connects again (and is READY) replaces its previous stream.
 *
 * <p>What is rejected, each with a reason that becomes the {@link
 * org.fedpeft.federation.ClientFailure} reason of the node's request in flight (the driver reports
 * it as a {@code fit threw MessageRejectedException: ...} error) and a {@link TransportEvent}:
 *
 * <ul>
 *   <li>a reply tagged with another run id, another round or another phase than its request;
 *   <li>a duplicate reply (to a request already answered) and a reply to a request never sent to
 *       this node on this stream (a replay from another stream or a forgery);
 *   <li>a reply larger than {@link Options#maxMessageBytes()} (refused at its first chunk, before
 *       any memory is taken) and chunks that do not continue the message.
 * </ul>
 *
 * A late reply to a request the driver gave up (timeout) is dropped with an event only. A node
 * whose stream ends fails its requests in flight with {@link NodeUnavailableException}; a request
 * for a node that is not connected fails at once the same way. Every accepted reply still goes
 * through the strategy's validation in the driver (names, shapes, finite values).
 *
 * <p>Serve it with {@link #service()} on any gRPC server: {@link Transport#startServer} for TCP
 * with mutual TLS, or an in-process server in tests. At the end of a run, {@link #finish} tells the
 * nodes so; {@link #close} ends their streams without saying so, and they keep reconnecting.
 */
public final class FederationServer implements AutoCloseable {

  /**
   * What node names may be: letters, digits, '.', '_' and '-', 1 to 128 characters ({@link
   * #NODE_NAME_RULE}). The one rule for the name a node claims, a certificate's common name and the
   * client ids of {@link CertificateGenerator}; check a name with {@link #nodeNameProblem}.
   */
  public static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  /** {@link #NODE_NAME} in words, for messages and help texts. */
  public static final String NODE_NAME_RULE = "1-128 letters, digits, '.', '_' or '-'";

  /**
   * Why {@code name} is not a node name ({@link #NODE_NAME}), or null if it is one.
   *
   * @param what what the name is, for the message: "WHAT 'NAME' is not 1-128 letters, ..."
   */
  public static String nodeNameProblem(String what, String name) {
    return NODE_NAME.matcher(name).matches()
        ? null
        : what + " '" + name + "' is not " + NODE_NAME_RULE;
  }

  /**
   * Server settings.
   *
   * @param runId tags every request; a reply must carry it back
   * @param maxMessageBytes the largest reply accepted, in bytes
   * @param insecure whether a node's identity is the name it claims (plaintext deployments and
   *     in-process tests) instead of its certificate's common name
   * @param population the node identities accepted; empty accepts any
   * @param runInfo what every node is told about the run when it is welcomed (its labels, tasks,
   *     identity, client data digests and frozen model: {@link RunInfo})
   * @param listener receives every {@link TransportEvent}; called on gRPC and driver threads, so it
   *     must be thread-safe and quick
   */
  public record Options(
      String runId,
      long maxMessageBytes,
      boolean insecure,
      Set<String> population,
      RunInfo runInfo,
      Consumer<TransportEvent> listener) {

    /** Validates and copies. */
    public Options {
      Objects.requireNonNull(runId, "runId");
      if (runId.isEmpty()) {
        throw new IllegalArgumentException("run id must not be empty");
      }
      if (maxMessageBytes < 1) {
        throw new IllegalArgumentException(
            "the message size limit must be positive, got " + maxMessageBytes);
      }
      population = Collections.unmodifiableSet(new TreeSet<>(population));
      Objects.requireNonNull(runInfo, "runInfo");
      Objects.requireNonNull(listener, "listener");
    }

    /**
     * Secure (identity from certificates), a random run id, replies up to 256 MiB, any node,
     * nothing said about the run, no listener.
     */
    public static Options defaults() {
      return new Options(
          UUID.randomUUID().toString(), 256L << 20, false, Set.of(), RunInfo.none(), e -> {});
    }

    /**
     * The run's identity, which a node names in its HELLO once it has joined the run: the {@link
     * RunInfo#run()} told to the nodes (the same for every server process of a resumed run) or,
     * without one, {@link #runId()} (this server's tag).
     */
    public String runIdentity() {
      return runInfo.run() != null ? runInfo.run() : runId;
    }

    /** A copy with another run id. */
    public Options withRunId(String id) {
      return new Options(id, maxMessageBytes, insecure, population, runInfo, listener);
    }

    /** A copy with another size limit. */
    public Options withMaxMessageBytes(long bytes) {
      return new Options(runId, bytes, insecure, population, runInfo, listener);
    }

    /** A copy that takes identities from HELLO (true) or from certificates (false). */
    public Options withInsecure(boolean claimedIdentities) {
      return new Options(runId, maxMessageBytes, claimedIdentities, population, runInfo, listener);
    }

    /** A copy accepting only these nodes (empty: any). */
    public Options withPopulation(Collection<String> nodes) {
      return new Options(runId, maxMessageBytes, insecure, new TreeSet<>(nodes), runInfo, listener);
    }

    /** A copy with another listener. */
    public Options withListener(Consumer<TransportEvent> l) {
      return new Options(runId, maxMessageBytes, insecure, population, runInfo, l);
    }

    /** A copy that tells the nodes this about the run when they connect. */
    public Options withRunInfo(RunInfo info) {
      return new Options(runId, maxMessageBytes, insecure, population, info, listener);
    }
  }

  /**
   * The description of the status (ABORTED) that ends a node's stream when the same identity opens
   * a new one; a {@link ClientNode} that receives it stops reconnecting.
   */
  static final String REPLACED = "node %s connected again on a new stream";

  /**
   * The words in the description of the status (UNAVAILABLE) with which a finished run's server
   * refuses a node whose HELLO does not name the run ({@link #finish}); a {@link ClientNode} that
   * receives it reports that description alone as its failed attempt, and tries again.
   */
  static final String NOT_TOLD = "so it is not told to stop";

  /** How many finished request ids a stream remembers to tell duplicates from replays. */
  private static final int REMEMBERED_REQUESTS = 4096;

  private static final Context.Key<String> CERT_IDENTITY = Context.key("fedpeft.cert-identity");
  private static final Context.Key<String> CERT_PROBLEM = Context.key("fedpeft.cert-problem");
  private static final Context.Key<List<String>> CERT_HOSTS = Context.key("fedpeft.cert-hosts");

  private final Options options;
  private final AtomicLong requestIds = new AtomicLong();
  private final Object nodesLock = new Object();
  private final Map<String, Connection> nodes = new HashMap<>();

  /**
   * Every stream welcomed and not yet READY, in the order of their HELLO (several may share an
   * identity: each is told when the run finishes, and ended when the server closes).
   */
  private final Set<Connection> welcomed = new LinkedHashSet<>();

  /** The nodes whose last stream refused the run, with the reason they gave. */
  private final Map<String, String> refusals = new TreeMap<>();

  private boolean closed;

  /** How many streams have been welcomed; orders the streams of one identity by their HELLO. */
  private long welcomes;

  /** What {@link #finish} told the nodes, or null before it was called. */
  private String finishedReason;

  /** The nodes told that the run is over ({@link #finish}), sorted. */
  private final Set<String> told = new TreeSet<>();

  /**
   * How long repeats of a failed TLS handshake (the same peer host, the same reason) are counted
   * instead of reported: a node that retries every few seconds leaves one line per window.
   */
  static final Duration HANDSHAKE_REPEAT_WINDOW = Duration.ofMinutes(10);

  private final RepeatFilter handshakeRepeats =
      new RepeatFilter(HANDSHAKE_REPEAT_WINDOW, System::nanoTime);

  /**
   * @param options settings
   */
  public FederationServer(Options options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  /** The settings. */
  public Options options() {
    return options;
  }

  /** The gRPC service to add to a server; it reads node identities from the TLS session. */
  public ServerServiceDefinition service() {
    ServerServiceDefinition plain =
        ServerServiceDefinition.builder(FederationProtocol.SERVICE)
            .addMethod(
                FederationProtocol.CONNECT,
                ServerCalls.asyncBidiStreamingCall(
                    out ->
                        new Connection(
                            (ServerCallStreamObserver<Frame>) out,
                            CERT_IDENTITY.get(),
                            CERT_HOSTS.get(),
                            CERT_PROBLEM.get())))
            .build();
    return ServerInterceptors.intercept(plain, new CertificateIdentity());
  }

  /**
   * The round driver's handle on a remote node: {@code fit} and {@code evaluate} send the
   * instructions to the node connected under {@code nodeId} and return its reply. The node need not
   * be connected yet; a call while it is not connected fails with {@link NodeUnavailableException}.
   */
  public ClientApp clientApp(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    return new ClientApp() {
      @Override
      public ClientUpdate fit(FitInstructions ins) throws InterruptedException {
        requireAddressedTo(ins.clientId(), nodeId);
        byte[] reply = call(nodeId, Frame.Phase.FIT, ins.round(), ins.toBytes());
        return ClientUpdate.fromBytes(
            reply, "update from node " + nodeId + ", round " + ins.round());
      }

      @Override
      public EvaluateResult evaluate(EvaluateInstructions ins) throws InterruptedException {
        requireAddressedTo(ins.clientId(), nodeId);
        byte[] reply = call(nodeId, Frame.Phase.EVALUATE, ins.round(), ins.toBytes());
        return EvaluateResult.fromBytes(
            reply, "evaluation from node " + nodeId + " of round " + ins.round());
      }

      @Override
      public String toString() {
        return "remote node " + nodeId;
      }
    };
  }

  /** A {@link #clientApp} for each id, sorted by id: the population of a round driver. */
  public Map<String, ClientApp> clientApps(Collection<String> nodeIds) {
    Map<String, ClientApp> apps = new TreeMap<>();
    for (String id : nodeIds) {
      apps.put(id, clientApp(id));
    }
    return apps;
  }

  /**
   * The nodes that refused this run (REFUSED after WELCOME) and have not connected since, sorted,
   * each with the reason it gave.
   */
  public Map<String, String> refusals() {
    synchronized (nodesLock) {
      return Collections.unmodifiableMap(new TreeMap<>(refusals));
    }
  }

  /**
   * The identities of the nodes connected now (welcomed and READY: they accepted the run), sorted.
   */
  public Set<String> connectedNodes() {
    synchronized (nodesLock) {
      return Collections.unmodifiableSet(new TreeSet<>(nodes.keySet()));
    }
  }

  /**
   * Waits until at least {@code count} nodes are connected (READY: a node welcomed that has not
   * accepted the run yet, or that refused it, does not count).
   *
   * @return whether they are, false if {@code timeout} passed first
   */
  public boolean awaitConnected(int count, Duration timeout) throws InterruptedException {
    return awaitNodes(() -> nodes.size() >= count, timeout);
  }

  /**
   * Waits, under the nodes' lock (whose changes notify it), until {@code done} holds.
   *
   * @return whether it does, false if {@code timeout} passed first
   */
  private boolean awaitNodes(BooleanSupplier done, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (nodesLock) {
      while (!done.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        nodesLock.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }

  /**
   * Waits until every node in {@code ids} is connected.
   *
   * @return whether they are, false if {@code timeout} passed first
   */
  public boolean awaitConnected(Collection<String> ids, Duration timeout)
      throws InterruptedException {
    return awaitNodes(() -> nodes.keySet().containsAll(ids), timeout);
  }

  /**
   * Tells every connected node, and every node welcomed whose READY has not arrived yet, that the
   * run is over (they stop reconnecting) and ends their streams; a node that opens a stream
   * afterwards, while the gRPC server still serves, is told the same once its identity is
   * established (HELLO, in place of WELCOME) if its HELLO names this run ({@link
   * Options#runIdentity()}: the node was welcomed to this run before), so a server can end a run
   * for nodes that reconnect to it ({@link #awaitTold}). A node whose HELLO names no run (a fresh
   * node) or another run is refused as UNAVAILABLE instead, which it answers by trying again later:
   * a node started for a new run on the same address is not stopped by the finished one. Requests
   * in flight fail.
   *
   * @param reason what the nodes are told, e.g. {@code "the run completed 20 rounds"}
   */
  public void finish(String reason) {
    List<Connection> all;
    synchronized (nodesLock) {
      closed = true;
      finishedReason = Objects.requireNonNull(reason, "reason");
      // The streams welcomed whose READY has not arrived are told too: they were welcomed to this
      // run, and their READY, which comes after this, is ignored (the server is closed).
      all = new ArrayList<>(nodes.values());
      all.addAll(welcomed);
    }
    for (Connection c : all) {
      c.done(reason);
    }
    close();
  }

  /** The nodes told that the run is over ({@link #finish}) so far, sorted. */
  public Set<String> toldNodes() {
    synchronized (nodesLock) {
      return Collections.unmodifiableSet(new TreeSet<>(told));
    }
  }

  /**
   * Waits until at least {@code count} nodes have been told that the run is over ({@link #finish}),
   * on their streams then or when they connect again.
   *
   * @return whether they have, false if {@code timeout} passed first
   */
  public boolean awaitTold(int count, Duration timeout) throws InterruptedException {
    return awaitNodes(() -> told.size() >= count, timeout);
  }

  /**
   * Ends every node's stream as a crash would look to them (they keep trying to reconnect);
   * requests in flight fail. New streams are refused afterwards.
   */
  @Override
  public void close() {
    List<Connection> all;
    synchronized (nodesLock) {
      closed = true;
      all = new ArrayList<>(nodes.values());
      all.addAll(welcomed);
      nodes.clear();
      welcomed.clear();
      nodesLock.notifyAll();
    }
    for (Connection c : all) {
      c.end(Status.UNAVAILABLE.withDescription("the server is shutting down"));
    }
  }

  /**
   * Reports a TLS handshake that failed (or a peer that spoke plaintext to this TLS server) as a
   * {@link TransportEvent.Kind#HANDSHAKE_FAILED} event named by the peer's address; repeats from
   * the same host for the same reason within {@link #HANDSHAKE_REPEAT_WINDOW} are counted and said
   * in the next report instead ({@link RepeatFilter}). Called by {@link Transport}'s TLS server.
   */
  void handshakeFailed(java.net.SocketAddress peer, String reason) {
    String address = HandshakeWatch.describe(peer);
    String host =
        peer instanceof java.net.InetSocketAddress i && i.getAddress() != null
            ? i.getAddress().getHostAddress()
            : address;
    long suppressed = handshakeRepeats.offer(host + "\n" + reason);
    if (suppressed < 0) {
      return;
    }
    emit(
        TransportEvent.Kind.HANDSHAKE_FAILED,
        address,
        0,
        0,
        reason
            + (suppressed == 0
                ? ""
                : " (and "
                    + suppressed
                    + " more such "
                    + Words.plural(suppressed, "failed handshake")
                    + " from "
                    + host
                    + " not reported since the last report)"));
  }

  /** Waits until {@code n} failed handshakes were seen; false if {@code timeout} passed first. */
  boolean awaitHandshakeFailures(long n, Duration timeout) throws InterruptedException {
    return handshakeRepeats.awaitSeen(n, timeout);
  }

  private static void requireAddressedTo(String clientId, String nodeId) {
    if (!clientId.equals(nodeId)) {
      throw new IllegalArgumentException(
          "instructions for client '" + clientId + "' handed to remote node '" + nodeId + "'");
    }
  }

  private byte[] call(String nodeId, Frame.Phase phase, int round, byte[] message)
      throws InterruptedException {
    Connection c;
    synchronized (nodesLock) {
      c = nodes.get(nodeId);
    }
    if (c == null) {
      throw new NodeUnavailableException("node " + nodeId + " is not connected");
    }
    return c.request(phase, round, message);
  }

  private void emit(TransportEvent.Kind kind, String node, long request, int round, String detail) {
    options.listener().accept(new TransportEvent(kind, node, request, round, detail));
  }

  /** A status as its code and description, without the cause's stack trace. */
  static String describe(Status status) {
    return status.getCode()
        + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")");
  }

  private static String describe(Frame.Phase phase, long requestId, int round) {
    return (phase == Frame.Phase.FIT ? "fit" : "evaluate")
        + " request "
        + requestId
        + " (round "
        + round
        + ")";
  }

  // ------------------------------------------------------------------ one node's stream

  /** A request waiting for its reply. */
  private static final class Pending {
    final long id;
    final int round;
    final Frame.Phase phase;
    final CompletableFuture<byte[]> result = new CompletableFuture<>();
    MessageAssembler assembler;

    Pending(long id, int round, Frame.Phase phase) {
      this.id = id;
      this.round = round;
      this.phase = phase;
    }

    String description() {
      return describe(phase, id, round);
    }
  }

  /** How a finished request ended, to judge frames that still arrive for it. */
  private enum Ended {
    ANSWERED,
    GIVEN_UP,
    REJECTED
  }

  private record EndedRequest(Ended how, String description) {}

  /** The server's end of one node's stream. */
  private final class Connection implements StreamObserver<Frame> {

    private final FrameSender sender;
    private final String certIdentity;
    private final String certProblem;
    private final List<String> certHosts;
    private final Map<Long, Pending> pending = new HashMap<>();
    private final Map<Long, EndedRequest> ended =
        new LinkedHashMap<>() {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<Long, EndedRequest> eldest) {
            return size() > REMEMBERED_REQUESTS;
          }
        };
    private boolean refused;
    private String identity;

    /** Whether the node said READY: it is in {@code nodes} and gets requests. */
    private boolean ready;

    /** Whether the node refused the run (REFUSED). */
    private volatile boolean runRefused;

    /** When this stream was welcomed among all streams (guarded by {@code nodesLock}). */
    private long welcomeOrder;

    private String closedReason;

    Connection(
        ServerCallStreamObserver<Frame> out,
        String certIdentity,
        List<String> certHosts,
        String certProblem) {
      this.sender = new FrameSender(out);
      this.certIdentity = certIdentity;
      this.certProblem = certProblem;
      this.certHosts = certHosts == null ? List.of() : certHosts;
      out.setOnReadyHandler(sender::signalReady);
      out.setOnCancelHandler(() -> lost("the node's stream was cancelled"));
    }

    // ---------------------------------------------------------------- requests (driver threads)

    byte[] request(Frame.Phase phase, int round, byte[] message) throws InterruptedException {
      Pending p;
      synchronized (this) {
        if (closedReason != null) {
          throw new NodeUnavailableException("node " + identity + " is gone: " + closedReason);
        }
        p = new Pending(requestIds.incrementAndGet(), round, phase);
        pending.put(p.id, p);
      }
      boolean done = false;
      try {
        sender.sendMessage(Frame.Type.REQUEST, options.runId(), p.id, round, phase, message);
        byte[] reply = p.result.get();
        done = true;
        return reply;
      } catch (ExecutionException e) {
        done = true;
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException(cause);
      } catch (NodeUnavailableException e) {
        done = true;
        finish(p, Ended.REJECTED);
        throw new NodeUnavailableException(
            "node "
                + identity
                + " disconnected before its "
                + p.description()
                + " was sent: "
                + e.getMessage());
      } finally {
        if (!done) {
          giveUp(p);
        }
      }
    }

    /** The driver stopped waiting (timeout or interrupt): forget the request and tell the node. */
    private void giveUp(Pending p) {
      synchronized (this) {
        if (pending.remove(p.id) == null) {
          return;
        }
        remember(p, Ended.GIVEN_UP);
      }
      sender.sendControl(
          Frame.control(
              Frame.Type.CANCEL,
              options.runId(),
              p.id,
              p.round,
              p.phase,
              "the server stopped waiting for the reply (the round's client timeout)"));
      emit(
          TransportEvent.Kind.CANCELLED,
          identity,
          p.id,
          p.round,
          "gave up waiting for the reply to " + p.description());
    }

    private void remember(Pending p, Ended how) {
      ended.put(p.id, new EndedRequest(how, p.description()));
    }

    private synchronized void finish(Pending p, Ended how) {
      if (pending.remove(p.id) != null) {
        remember(p, how);
      }
    }

    // ---------------------------------------------------------------- frames from the node

    @Override
    public void onNext(Frame f) {
      if (refused) {
        return;
      }
      if (identity == null) {
        hello(f);
        return;
      }
      switch (f.type()) {
        case REPLY -> reply(f);
        case FAILED, DECLINED -> failure(f);
        case REFUSED -> refusedRun(f);
        case READY -> ready(f);
        default -> {
          synchronized (this) {
            violation(f, "a " + f.type() + " frame, which a node never sends", true);
          }
        }
      }
    }

    private void hello(Frame f) {
      if (f.type() != Frame.Type.HELLO) {
        refuse(Status.INVALID_ARGUMENT, "?", "the first frame must be HELLO, got " + f.type() + "");
        return;
      }
      String claimed = f.text();
      String id;
      if (options.insecure()) {
        String problem = nodeNameProblem("the node name", claimed);
        if (problem != null) {
          refuse(
              Status.INVALID_ARGUMENT,
              claimed,
              problem + " (insecure mode takes the name the node claims)");
          return;
        }
        id = claimed;
      } else {
        if (certIdentity == null) {
          refuse(
              Status.UNAUTHENTICATED,
              claimed.isEmpty() ? "?" : claimed,
              "no node identity: " + (certProblem == null ? "no certificate" : certProblem));
          return;
        }
        if (claimed.isEmpty() || claimed.equals(certIdentity)) {
          id = certIdentity;
        } else if (certHosts.contains(claimed)) {
          id = claimed; // a node certificate speaking for one of the clients it lists
        } else {
          refuse(
              Status.PERMISSION_DENIED,
              certIdentity,
              "the node says it is '"
                  + claimed
                  + "' but its certificate names '"
                  + certIdentity
                  + "'"
                  + (certHosts.isEmpty() ? "" : " and the clients " + certHosts));
          return;
        }
      }
      if (!options.population().isEmpty() && !options.population().contains(id)) {
        refuse(
            Status.PERMISSION_DENIED,
            id,
            "node '" + id + "' is not in this federation's population " + options.population());
        return;
      }
      String over;
      synchronized (nodesLock) {
        over = finishedReason;
        if (over == null && closed) {
          refuse(Status.UNAVAILABLE, id, "the server is shutting down");
          return;
        }
        if (over != null && !f.runId().equals(options.runIdentity())) {
          // A node that never joined this run (a fresh node, or one of another run started on
          // the same address) is not told to stop: it retries, as at a server shutting down, and
          // joins the run that is served there next.
          refuse(Status.UNAVAILABLE, id, notTold(id, f.runId()));
          return;
        }
        identity = id;
        if (over == null) {
          byte[] info = options.runInfo().toBytes();
          sender.sendControl(
              new Frame(
                  Frame.Type.WELCOME,
                  options.runId(),
                  0,
                  0,
                  Frame.Phase.NONE,
                  info.length,
                  0,
                  id,
                  info));
          welcomeOrder = ++welcomes;
          welcomed.add(this);
        }
      }
      if (over != null) {
        done(over); // the run is over: the node is told so instead of welcomed
      }
    }

    /**
     * The node accepts the run: it is connected from now on (it replaces a stream of the same
     * identity welcomed before it) and gets requests. If a stream of the same identity welcomed
     * after this one is connected already, this stream is the one replaced: the newest HELLO wins
     * whatever order the READY frames arrive in.
     */
    private void ready(Frame f) {
      // The stream this READY replaces: an older one of the same identity, or this one itself when
      // a stream that said HELLO after it is connected already (its READY overtook this one's).
      Connection replaced;
      synchronized (nodesLock) {
        if (ready) {
          synchronized (this) {
            violation(f, "a second READY frame", false);
          }
          return;
        }
        if (closed || runRefused) {
          return; // the server is shutting down, or the stream is over
        }
        synchronized (this) {
          if (closedReason != null) {
            return; // the stream ended meanwhile
          }
        }
        Connection current = nodes.get(identity);
        if (current != null && current.welcomeOrder > welcomeOrder) {
          replaced = this;
        } else {
          ready = true;
          welcomed.remove(this);
          refusals.remove(identity);
          replaced = nodes.put(identity, this);
          nodesLock.notifyAll();
        }
      }
      if (replaced != null) {
        replaced.end(Status.ABORTED.withDescription(REPLACED.formatted(identity)));
      }
      if (replaced == this) {
        return;
      }
      // The run's identity (the same in every server process of a resumed run), not this process's
      // tag on its messages.
      emit(
          TransportEvent.Kind.CONNECTED, identity, 0, 0, "connected, run " + options.runIdentity());
    }

    /**
     * Why a finished run's server does not tell node {@code id}, whose HELLO names {@code named}
     * (empty: no run), that the run is over, and what its user can do.
     */
    private String notTold(String id, String named) {
      String run = options.runIdentity();
      return "run "
          + run
          + " is over, and node '"
          + id
          + "' cannot show that it took part in it: its HELLO names "
          + (named.isEmpty()
              ? "no run (its --state folder records none)"
              : "run " + named + ", not this one")
          + ", "
          + NOT_TOLD
          + " and keeps trying to connect, to join the next run served at this address; to end"
          + " it, start it again with the --state folder it used in run "
          + run
          + " (it is then told that the run is over), or stop it";
    }

    private void refuse(Status status, String who, String reason) {
      refused = true;
      emit(TransportEvent.Kind.REFUSED, who, 0, 0, reason);
      sender.fail(status.withDescription(reason).asRuntimeException());
    }

    private void reply(Frame f) {
      synchronized (this) {
        Pending p = pending.get(f.requestId());
        if (p == null) {
          stray(f);
          return;
        }
        String what = "the " + p.description() + " reply from node " + identity;
        String problem = tagProblem(f, p, what);
        if (problem != null) {
          reject(p, problem);
          return;
        }
        try {
          if (p.assembler == null) {
            p.assembler = MessageAssembler.start(f, options.maxMessageBytes(), what);
          }
          if (p.assembler.add(f, what)) {
            pending.remove(p.id);
            remember(p, Ended.ANSWERED);
            p.result.complete(p.assembler.message());
          }
        } catch (MessageRejectedException e) {
          reject(p, e.getMessage());
        }
      }
    }

    private void failure(Frame f) {
      synchronized (this) {
        Pending p = pending.get(f.requestId());
        if (p == null) {
          stray(f);
          return;
        }
        String problem =
            tagProblem(f, p, "the " + f.type() + " answer to " + p.description() + " from node");
        if (problem != null) {
          reject(p, problem);
          return;
        }
        if (p.assembler != null) {
          reject(p, "node " + identity + " sent " + f.type() + " in the middle of its reply");
          return;
        }
        pending.remove(p.id);
        remember(p, Ended.ANSWERED);
        String reason = "node " + identity + ": " + f.text();
        p.result.completeExceptionally(
            f.type() == Frame.Type.DECLINED
                ? new ClientDeclinedException(reason)
                : new RemoteClientException(reason));
      }
    }

    /**
     * The node refuses this run (its data or its frozen model does not fit it) and says why: a
     * REFUSED event gives the reason, the node is not (or no longer) connected, its stream ends
     * with that reason, and its requests in flight fail with it.
     */
    private void refusedRun(Frame f) {
      String reason = "the node refuses this run: " + f.text();
      runRefused = true;
      synchronized (nodesLock) {
        refusals.put(identity, f.text());
      }
      emit(
          TransportEvent.Kind.REFUSED,
          identity,
          0,
          0,
          reason + " (not counted as connected; it may connect again once fixed)");
      sender.complete(reason);
      lost(reason);
    }

    /** Checks run, round and phase of an answer against its request; null if they match. */
    private String tagProblem(Frame f, Pending p, String what) {
      if (!f.runId().equals(options.runId())) {
        return what
            + " is tagged with run '"
            + f.runId()
            + "'; this run is '"
            + options.runId()
            + "'";
      }
      if (f.round() != p.round) {
        return what + " is tagged round " + f.round() + "; the request was for round " + p.round;
      }
      if (f.phase() != p.phase) {
        return what + " is tagged " + f.phase() + "; the request was " + p.phase;
      }
      return null;
    }

    /** A frame for a request that is not pending on this stream. */
    private void stray(Frame f) {
      EndedRequest e = ended.get(f.requestId());
      Ended how = e == null ? null : e.how();
      String desc = e == null ? "request " + f.requestId() : e.description();
      if (how == null) {
        violation(
            f,
            "a reply to request "
                + f.requestId()
                + ", which was never sent to node "
                + identity
                + " on this stream (a replay or a forged reply)",
            true);
      } else if (f.offset() > 0) {
        // the rest of a message already reported: ignored
      } else if (how == Ended.GIVEN_UP) {
        violation(
            f,
            "a late reply to " + desc + ", which the server gave up at the round's timeout",
            false);
      } else if (how == Ended.ANSWERED) {
        violation(f, "a duplicate reply to " + desc + ", which was already answered", true);
      }
      // REJECTED: chunks of a message whose first part was rejected; already reported
    }

    /**
     * Records a rejected frame and tells the node; with {@code failInFlight}, a protocol violation,
     * the node's requests in flight fail with the same reason.
     */
    private void violation(Frame f, String reason, boolean failInFlight) {
      emit(TransportEvent.Kind.REJECTED, identity, f.requestId(), f.round(), reason);
      notice(f.requestId(), f.round(), reason);
      if (failInFlight) {
        for (Pending p : new ArrayList<>(pending.values())) {
          pending.remove(p.id);
          remember(p, Ended.REJECTED);
          p.result.completeExceptionally(
              new MessageRejectedException("node " + identity + " sent " + reason));
        }
      }
    }

    private void reject(Pending p, String reason) {
      pending.remove(p.id);
      remember(p, Ended.REJECTED);
      emit(TransportEvent.Kind.REJECTED, identity, p.id, p.round, reason);
      notice(p.id, p.round, reason);
      p.result.completeExceptionally(new MessageRejectedException(reason));
    }

    private void notice(long requestId, int round, String reason) {
      sender.sendControl(
          Frame.control(
              Frame.Type.NOTICE, options.runId(), requestId, round, Frame.Phase.NONE, reason));
    }

    @Override
    public void onError(Throwable t) {
      lost("the stream failed: " + describe(Status.fromThrowable(t)));
    }

    @Override
    public void onCompleted() {
      // complete first: lost() marks the sender closed, after which complete() would not end the
      // call
      sender.complete("the node closed its stream");
      lost("the node closed its stream");
    }

    /** Tells the node the run is over and ends the stream normally. */
    void done(String reason) {
      sender.sendControl(
          Frame.control(Frame.Type.DONE, options.runId(), 0, 0, Frame.Phase.NONE, reason));
      synchronized (nodesLock) {
        told.add(identity);
        nodesLock.notifyAll();
      }
      emit(TransportEvent.Kind.FINISHED, identity, 0, 0, reason);
      sender.complete("the run is over");
      lost("the run is over: " + reason);
    }

    /** Ends the stream from the server's side. */
    void end(Status status) {
      sender.fail(status.asRuntimeException());
      lost(status.getDescription());
    }

    private void lost(String reason) {
      List<Pending> failed;
      synchronized (this) {
        if (closedReason != null) {
          return;
        }
        closedReason = reason;
        failed = new ArrayList<>(pending.values());
        for (Pending p : failed) {
          remember(p, Ended.REJECTED);
        }
        pending.clear();
      }
      sender.close(reason);
      // The node leaves the connected ones before its requests fail: a round that ends on that
      // failure, and then waits for every node to be connected, must not still count this stream.
      if (identity != null) {
        synchronized (nodesLock) {
          nodes.remove(identity, this);
          welcomed.remove(this);
          nodesLock.notifyAll();
        }
      }
      for (Pending p : failed) {
        p.result.completeExceptionally(
            new NodeUnavailableException(
                "node "
                    + identity
                    + " was lost before it answered "
                    + p.description()
                    + ": "
                    + reason));
      }
      if (identity != null && !runRefused) {
        emit(TransportEvent.Kind.DISCONNECTED, identity, 0, 0, reason);
      }
    }
  }

  // ------------------------------------------------------------------ identity from TLS

  /** Puts the common name of the peer's TLS client certificate into the call's context. */
  private static final class CertificateIdentity implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      String identity = null;
      List<String> hosts = List.of();
      String problem = null;
      if (session == null) {
        problem = "the connection is not TLS";
      } else {
        try {
          Certificate[] chain = session.getPeerCertificates();
          if (chain.length == 0 || !(chain[0] instanceof X509Certificate x509)) {
            problem = "the node presented no X.509 certificate";
          } else {
            identity = Certificates.commonName(x509);
            if (identity == null || !NODE_NAME.matcher(identity).matches()) {
              problem =
                  "the certificate's common name "
                      + (identity == null ? "is missing" : "'" + identity + "' is not a node name");
              identity = null;
            } else {
              hosts = Certificates.hostedClients(x509);
            }
          }
        } catch (SSLPeerUnverifiedException e) {
          problem = "the node presented no certificate";
        }
      }
      Context context =
          Context.current()
              .withValue(CERT_IDENTITY, identity)
              .withValue(CERT_HOSTS, hosts)
              .withValue(CERT_PROBLEM, problem);
      return Contexts.interceptCall(context, call, headers, next);
    }
  }
}
