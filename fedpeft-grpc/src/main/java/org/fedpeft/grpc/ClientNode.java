package org.fedpeft.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.PKIXReason;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.fedpeft.engine.NativeHeap;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientDeclinedException;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.EvaluateInstructions;
import org.fedpeft.federation.EvaluateResult;
import org.fedpeft.federation.FitInstructions;

/**
 * A client node: keeps a stream open to a {@link FederationServer}, receives fit and evaluate
 * instructions as bytes, runs them on a local {@link ClientApp} one at a time, and sends the reply
 * (or the failure, or the refusal of a declining client) back under the request's run id, round and
 * request id. The local client sees exactly what the simulation hands it: the decoded {@link
 * FitInstructions} or {@link EvaluateInstructions}.
 *
 * <p>Reconnection: when the stream cannot be opened or ends (server restart, network failure,
 * refusal), the node opens a new one after a backoff delay that grows with each consecutive failure
 * ({@link Backoff}) and starts again from the first delay once the server welcomed it. It stops for
 * good only when closed, when the server says the run is over (DONE: {@link #awaitFinished()}
 * returns its reason), when it refuses the server's run ({@link Options#onWelcome()} threw, as the
 * CLI's check does when the node's data or frozen model does not fit the run the WELCOME describes;
 * it tells the server why first), when the server refuses its identity, when the server's
 * certificate does not chain to the CA this node trusts ({@link #serverNotTrusted()}) or does not
 * name the address it dialled ({@link ServerNameMismatchException}), when the node and the server
 * disagree on TLS (a plaintext node facing a TLS server, which says so: {@link #tlsOnlyServer}; a
 * TLS node facing a server that answers in plaintext: {@link #plaintextServer}), or when the server
 * ends its stream because another process connected under the same identity (two processes must not
 * take turns as one node). Each of these gives the same answer on every attempt, so one attempt
 * decides; a server that is down, refuses the connection or restarts is tried again. Work in
 * progress for a lost stream is interrupted: its reply could not be delivered, and the server has
 * already counted the node as failed for that request. A request the server cancels (its round
 * timed out) is interrupted too.
 *
 * <p>The channel (TCP with mutual TLS from {@link Transport#channel}, or in-process in tests)
 * belongs to the caller, who shuts it down after {@link #close()}.
 */
public final class ClientNode implements AutoCloseable {

  /**
   * Delays between connection attempts: the n-th consecutive failure waits {@code min(max, initial
   * * multiplier^(n-1))}.
   *
   * @param initial the first delay, positive
   * @param max the longest delay, at least {@code initial}
   * @param multiplier the growth per failure, at least 1
   */
  public record Backoff(Duration initial, Duration max, double multiplier) {

    /** Validates the fields. */
    public Backoff {
      Objects.requireNonNull(initial, "initial");
      Objects.requireNonNull(max, "max");
      if (initial.isNegative() || initial.isZero()) {
        throw new IllegalArgumentException("initial backoff must be positive, got " + initial);
      }
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException(
            "max backoff " + max + " is shorter than the initial " + initial);
      }
      if (!(multiplier >= 1)) {
        throw new IllegalArgumentException(
            "backoff multiplier must be at least 1, got " + multiplier);
      }
    }

    /** The first delay of {@link #defaults()}, in milliseconds. */
    public static final long DEFAULT_INITIAL_MILLIS = 500;

    /**
     * The longest delay of {@link #defaults()}, in seconds: the one place for it, which the command
     * line's {@code --reconnect-max-seconds} default and the server's wait for a finished run's
     * nodes are derived from.
     */
    public static final long DEFAULT_MAX_SECONDS = 30;

    /** 0.5 s, doubling, at most {@value #DEFAULT_MAX_SECONDS} s. */
    public static Backoff defaults() {
      return new Backoff(
          Duration.ofMillis(DEFAULT_INITIAL_MILLIS), Duration.ofSeconds(DEFAULT_MAX_SECONDS), 2);
    }

    /** A copy whose longest delay is {@code longest} (at least {@link #initial}). */
    public Backoff withMax(Duration longest) {
      return new Backoff(initial, longest, multiplier);
    }

    /** The delay after {@code failures} consecutive failures (at least 1). */
    public Duration delay(int failures) {
      double millis = initial.toMillis() * Math.pow(multiplier, Math.max(0, failures - 1));
      return millis >= max.toMillis() ? max : Duration.ofMillis((long) millis);
    }
  }

  /**
   * Node settings.
   *
   * @param name the name this node claims in HELLO; with TLS the server checks it against the
   *     certificate's common name, insecure servers take it as the identity
   * @param maxMessageBytes the largest request accepted, in bytes
   * @param backoff delays between connection attempts
   * @param onWelcome called with what the server says about its run each time it welcomes this
   *     node, before any request of that stream is run; if it returns, the node tells the server it
   *     takes part (READY: only then does the server count it as connected); if it throws, the node
   *     refuses the run: it sends the server the exception's message (a REFUSED frame), ends the
   *     stream, stops for good and reports the message as its {@link #refusal()}
   * @param listener receives every {@link TransportEvent}; called on gRPC and worker threads
   * @param joinedRun the identity of the run this node joined before it started (its LOCAL state is
   *     bound to it), which its HELLO names until a server welcomes it; empty for none
   */
  public record Options(
      String name,
      long maxMessageBytes,
      Backoff backoff,
      Consumer<RunInfo> onWelcome,
      Consumer<TransportEvent> listener,
      String joinedRun) {

    /** Validates the fields. */
    public Options {
      Objects.requireNonNull(name, "name");
      String problem = FederationServer.nodeNameProblem("node name", name);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      if (maxMessageBytes < 1) {
        throw new IllegalArgumentException(
            "the message size limit must be positive, got " + maxMessageBytes);
      }
      Objects.requireNonNull(backoff, "backoff");
      Objects.requireNonNull(onWelcome, "onWelcome");
      Objects.requireNonNull(listener, "listener");
      joinedRun = joinedRun == null ? "" : joinedRun;
    }

    /** Requests up to 256 MiB, default backoff, any run accepted, no listener. */
    public static Options defaults(String name) {
      return new Options(name, 256L << 20, Backoff.defaults(), info -> {}, e -> {}, "");
    }

    /** A copy with another size limit. */
    public Options withMaxMessageBytes(long bytes) {
      return new Options(name, bytes, backoff, onWelcome, listener, joinedRun);
    }

    /** A copy with another backoff. */
    public Options withBackoff(Backoff b) {
      return new Options(name, maxMessageBytes, b, onWelcome, listener, joinedRun);
    }

    /** A copy that checks (and prepares for) the server's run when it is welcomed. */
    public Options withOnWelcome(Consumer<RunInfo> check) {
      return new Options(name, maxMessageBytes, backoff, check, listener, joinedRun);
    }

    /** A copy with another listener. */
    public Options withListener(Consumer<TransportEvent> l) {
      return new Options(name, maxMessageBytes, backoff, onWelcome, l, joinedRun);
    }

    /**
     * A copy of a node that joined the run {@code run} before it started (null or empty: none), as
     * a restarted node whose LOCAL state is bound to a run: its HELLO names that run, so that the
     * run's server tells it when the run is over ({@link FederationServer#finish}).
     */
    public Options withJoinedRun(String run) {
      return new Options(name, maxMessageBytes, backoff, onWelcome, listener, run);
    }
  }

  private static final AtomicInteger THREADS = new AtomicInteger();

  /**
   * How long a node that refuses the server's run waits for the server to close the stream after
   * its REFUSED frame before it cancels the stream itself (a server that does not answer).
   */
  static final Duration REFUSAL_GRACE = Duration.ofSeconds(10);

  private final Channel channel;
  private final ClientApp app;
  private final Options options;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService worker;
  private final Object lock = new Object();
  private Stream current;
  private int failures;
  private boolean started;
  private boolean closed;
  private volatile String finishedReason;
  private volatile String refusal;
  private volatile boolean serverNotTrusted;
  private final CountDownLatch stopped = new CountDownLatch(1);

  /**
   * @param channel a channel to the server
   * @param app the local client
   * @param options settings
   */
  public ClientNode(Channel channel, ClientApp app, Options options) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.app = Objects.requireNonNull(app, "app");
    this.options = Objects.requireNonNull(options, "options");
    this.joinedRun = options.joinedRun();
    int n = THREADS.incrementAndGet();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> daemon(r, "fedpeft-node-" + options.name() + "-connect-" + n));
    this.worker =
        Executors.newSingleThreadExecutor(
            r -> daemon(r, "fedpeft-node-" + options.name() + "-work-" + n));
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Opens the first stream; later ones open by themselves. */
  public void start() {
    synchronized (lock) {
      if (started) {
        throw new IllegalStateException("node " + options.name() + " already started");
      }
      started = true;
    }
    scheduler.execute(this::connect);
  }

  /**
   * Waits until the server says the run is over ({@link FederationServer#finish}), the node refuses
   * the server's run, the server refuses the node, the node does not trust the server's
   * certificate, node and server disagree on TLS, or another process takes its identity ({@link
   * #refusal()}), or the node is closed.
   *
   * @return the server's reason if it finished the run, or null otherwise
   */
  public String awaitFinished() throws InterruptedException {
    stopped.await();
    return finishedReason;
  }

  /**
   * Why this node refused the server's run (the message of what {@link Options#onWelcome()} threw),
   * or stopped trying to take part in it (the server refused its identity, the server's certificate
   * is not signed by the CA it trusts or does not name the address dialled, one of node and server
   * runs with {@code --insecure} and the other with TLS, another process took its identity), or
   * null if none happened.
   */
  public String refusal() {
    return refusal;
  }

  /**
   * Whether this node stopped because the server's certificate does not chain to the CA this node
   * trusts ({@link #refusal()} says so too): the node's CA file comes from another PKI than the
   * server's certificate.
   */
  public boolean serverNotTrusted() {
    return serverNotTrusted;
  }

  /** Whether the server has welcomed this node on the current stream. */
  public boolean isConnected() {
    synchronized (lock) {
      return current != null && current.welcomed;
    }
  }

  /**
   * Stops: no more connection attempts, the current stream is cancelled (the server counts the node
   * as lost), work in progress is interrupted.
   */
  @Override
  public void close() {
    Stream s;
    synchronized (lock) {
      closed = true;
      s = current;
      current = null;
    }
    scheduler.shutdownNow();
    stopped.countDown();
    if (s != null) {
      s.cancel("node " + options.name() + " is shutting down");
    }
    worker.shutdownNow();
  }

  private void emit(TransportEvent.Kind kind, long request, int round, String detail) {
    options.listener().accept(new TransportEvent(kind, options.name(), request, round, detail));
  }

  /** Appended to a failed connection's detail when {@link #serverAlert} holds. */
  static final String SERVER_ALERT_HINT =
      "; the server ended the TLS handshake with an alert, as it does when it does not accept this"
          + " node's certificate: is it signed by the CA of the server's --certs folder?";

  /**
   * Why a TLS node stops when the server answered its TLS handshake with something that is not TLS
   * ({@link #plaintextServer}); {@code %s} is the server's address.
   */
  static final String PLAINTEXT_SERVER =
      "the server at %s does not speak TLS (it runs with --insecure), but this node does: use"
          + " --insecure on both sides, or TLS files on both (the server's --certs DIR, and this"
          + " node's --certs DIR or --ca, --cert and --key)";

  /**
   * Why a plaintext node stops when a TLS server answered its plaintext HTTP/2 saying it speaks TLS
   * only ({@link #tlsOnlyServer}); {@code %s} is the server's address.
   */
  static final String PLAINTEXT_NODE =
      "the server at %s speaks TLS only, but this node runs with --insecure (plaintext): use TLS"
          + " files on both sides (this node's --certs DIR, or --ca, --cert and --key, instead of"
          + " --insecure), or --insecure on both";

  /** The longest run of hex digits (a packet dump) a connection failure's line keeps. */
  static final int MAX_HEX_RUN = 32;

  /**
   * The identity of the run this node last accepted (READY after its WELCOME): the WELCOME's {@link
   * RunInfo#run()}, or without one the server's tag on it; before the first, {@link
   * Options#joinedRun()} (empty for a fresh node). Every HELLO names it ({@link
   * FederationServer.Options#runIdentity()}), so that a server whose run is over tells only that
   * run's nodes to stop ({@link FederationServer#finish}).
   */
  private volatile String joinedRun;

  private void connect() {
    Stream s = new Stream();
    synchronized (lock) {
      if (closed) {
        return;
      }
      current = s;
    }
    try {
      ClientCalls.asyncBidiStreamingCall(
          channel.newCall(FederationProtocol.CONNECT, CallOptions.DEFAULT), s);
      s.sender.sendControl(
          Frame.control(Frame.Type.HELLO, joinedRun, 0, 0, Frame.Phase.NONE, options.name()));
    } catch (RuntimeException e) {
      s.ended("the stream could not be opened: " + e, null);
    }
  }

  /** Schedules the next attempt after a failure or a lost stream. */
  private void reconnectLater(Stream s) {
    Duration delay;
    synchronized (lock) {
      if (closed || current != s) {
        return;
      }
      current = null;
      failures++;
      delay = options.backoff().delay(failures);
    }
    try {
      scheduler.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  // ------------------------------------------------------------------ one stream

  private final class Stream implements ClientResponseObserver<Frame, Frame> {

    private FrameSender sender;
    private ClientCallStreamObserver<Frame> call;
    private volatile boolean welcomed;
    private volatile String runId = "";
    private final Map<Long, MessageAssembler> assembling = new HashMap<>();
    private final Map<Long, Future<?>> work = new ConcurrentHashMap<>();
    private boolean over;
    private volatile boolean refusing;

    @Override
    public void beforeStart(ClientCallStreamObserver<Frame> requestStream) {
      call = requestStream;
      sender = new FrameSender(requestStream);
      requestStream.setOnReadyHandler(sender::signalReady);
    }

    void cancel(String reason) {
      if (call != null) {
        call.cancel(reason, null);
      }
      ended(reason, null);
    }

    @Override
    public void onNext(Frame f) {
      if (refusing) {
        return; // this node has refused the run: what the server still sends is not for it
      }
      switch (f.type()) {
        case WELCOME -> {
          String problem;
          RunInfo info = null;
          try {
            info = RunInfo.fromBytes(f.payload());
            options.onWelcome().accept(info);
            problem = null;
          } catch (RuntimeException e) {
            problem = e.getMessage() == null ? e.toString() : e.getMessage();
          }
          if (problem != null) {
            refuse(problem, f.runId());
            return;
          }
          runId = f.runId();
          joinedRun = info.run() != null ? info.run() : runId;
          synchronized (lock) {
            failures = 0;
          }
          welcomed = true;
          // Said before READY, so that it comes before the server's CONNECTED, never after it; it
          // names the run's identity, as the server's lines do, not the server process's tag.
          emit(
              TransportEvent.Kind.CONNECTED,
              0,
              0,
              "welcomed as '" + f.text() + "' to run " + joinedRun);
          // The node accepts the run: only now does the server count it as connected.
          sender.sendControl(Frame.control(Frame.Type.READY, runId, 0, 0, Frame.Phase.NONE, ""));
        }
        case REQUEST -> request(f);
        case CANCEL -> {
          assembling.remove(f.requestId());
          Future<?> job = work.remove(f.requestId());
          if (job != null) {
            job.cancel(true);
          }
          emit(TransportEvent.Kind.CANCELLED, f.requestId(), f.round(), f.text());
        }
        case DONE -> {
          synchronized (lock) {
            closed = true;
          }
          finishedReason = f.text();
          emit(TransportEvent.Kind.FINISHED, 0, 0, "the server finished the run: " + f.text());
          stopped.countDown();
        }
        case NOTICE ->
            emit(
                TransportEvent.Kind.REJECTED,
                f.requestId(),
                f.round(),
                "the server rejected: " + f.text());
        default ->
            emit(
                TransportEvent.Kind.REJECTED,
                f.requestId(),
                f.round(),
                "ignored a " + f.type() + " frame, which a server never sends");
      }
    }

    /**
     * The node will not take part in the server's run: it sends the server its reason (REFUSED),
     * ends its side of the stream and stops for good once the server has closed the stream (so the
     * reason reached it), or after {@link #REFUSAL_GRACE} if the server does not.
     */
    private void refuse(String problem, String welcomedTo) {
      synchronized (lock) {
        closed = true;
      }
      refusal = problem;
      refusing = true;
      worker.shutdownNow();
      emit(TransportEvent.Kind.REFUSED, 0, 0, "this node refuses the server's run: " + problem);
      String reason = "node " + options.name() + " refuses the server's run: " + problem;
      boolean sent =
          sender.sendControl(
              Frame.control(Frame.Type.REFUSED, welcomedTo, 0, 0, Frame.Phase.NONE, problem));
      sender.complete(reason);
      if (!sent) {
        cancel(reason);
        return;
      }
      try {
        scheduler.schedule(() -> cancel(reason), REFUSAL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        cancel(reason); // closed meanwhile
      }
    }

    private void request(Frame f) {
      String what = "the " + f.phase() + " request " + f.requestId() + " of round " + f.round();
      if (!welcomed || !f.runId().equals(runId)) {
        fail(
            f,
            what
                + " is tagged with run '"
                + f.runId()
                + "', not the run '"
                + runId
                + "' this node was welcomed to");
        return;
      }
      if (f.phase() == Frame.Phase.NONE) {
        fail(f, what + " names no phase");
        return;
      }
      MessageAssembler a = assembling.get(f.requestId());
      try {
        if (a == null) {
          if (f.offset() != 0) {
            return; // the rest of a request already refused
          }
          a = MessageAssembler.start(f, options.maxMessageBytes(), what);
          assembling.put(f.requestId(), a);
        }
        if (!a.add(f, what)) {
          return;
        }
      } catch (MessageRejectedException e) {
        assembling.remove(f.requestId());
        fail(f, e.getMessage());
        return;
      }
      assembling.remove(f.requestId());
      byte[] message = a.message();
      long id = f.requestId();
      Frame.Phase phase = f.phase();
      int round = f.round();
      FutureTask<Void> job = new FutureTask<>(() -> run(phase, id, round, message), null);
      work.put(id, job); // before it can run: run() answers only while it is listed
      try {
        worker.execute(job);
      } catch (RejectedExecutionException e) {
        work.remove(id); // the node is shutting down
      }
    }

    private void fail(Frame f, String reason) {
      emit(TransportEvent.Kind.REJECTED, f.requestId(), f.round(), reason);
      sender.sendControl(
          Frame.control(Frame.Type.FAILED, runId, f.requestId(), f.round(), f.phase(), reason));
    }

    /** Runs one request on the worker thread and answers it. */
    private void run(Frame.Phase phase, long id, int round, byte[] message) {
      try {
        byte[] reply;
        if (phase == Frame.Phase.FIT) {
          FitInstructions ins =
              FitInstructions.fromBytes(message, "fit request " + id + " of round " + round);
          ClientUpdate u = app.fit(ins);
          if (u == null) {
            throw new IllegalStateException("fit returned no update");
          }
          reply = u.toBytes();
        } else {
          EvaluateInstructions ins =
              EvaluateInstructions.fromBytes(
                  message, "evaluate request " + id + " of round " + round);
          EvaluateResult r = app.evaluate(ins);
          if (r == null) {
            throw new IllegalStateException("evaluate returned no result");
          }
          reply = r.toBytes();
        }
        if (work.remove(id) == null) {
          return; // cancelled meanwhile: the server no longer waits
        }
        sender.sendMessage(Frame.Type.REPLY, runId, id, round, phase, reply);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (NodeUnavailableException e) {
        // the stream ended while sending; the server counts the request as failed
      } catch (ClientDeclinedException e) {
        answer(Frame.Type.DECLINED, phase, id, round, String.valueOf(e.getMessage()));
      } catch (Exception e) {
        if (Thread.currentThread().isInterrupted()) {
          return; // cancelled: whatever the client threw on the way out is not news
        }
        String m = e.getMessage();
        answer(
            Frame.Type.FAILED,
            phase,
            id,
            round,
            e.getClass().getSimpleName() + (m == null ? "" : ": " + m));
      } finally {
        work.remove(id);
        if (work.isEmpty()) {
          // Idle until the server's next request, which may be minutes away: give the memory that
          // the request's tensors left in the native heap back to the system now. The next
          // request faults it in again, once per request (docs/deployment.md, "Memory").
          NativeHeap.trim();
        }
      }
    }

    private void answer(Frame.Type type, Frame.Phase phase, long id, int round, String reason) {
      if (work.remove(id) != null) {
        sender.sendControl(Frame.control(type, runId, id, round, phase, reason));
      }
    }

    @Override
    public void onError(Throwable t) {
      ended("the stream failed: " + FederationServer.describe(Status.fromThrowable(t)), t);
    }

    @Override
    public void onCompleted() {
      ended("the server closed the stream", null);
    }

    void ended(String reason, Throwable t) {
      synchronized (this) {
        if (over) {
          return;
        }
        over = true;
      }
      if (sender != null) {
        sender.close(reason);
      }
      for (Future<?> job : work.values()) {
        job.cancel(true);
      }
      work.clear();
      if (refusing) {
        // The server closed the stream after this node's REFUSED (or the grace ran out): stop.
        stopped.countDown();
        scheduler.shutdownNow();
        return;
      }
      Status status = t == null ? null : Status.fromThrowable(t);
      if (status != null
          && status.getCode() == Status.Code.ABORTED
          && FederationServer.REPLACED.formatted(options.name()).equals(status.getDescription())) {
        // Another process opened a stream under this node's identity: reconnecting would take it
        // back and start a tug of war, so this node stops.
        emit(
            TransportEvent.Kind.DISCONNECTED,
            0,
            0,
            reason + "; not reconnecting: another process holds identity '" + options.name() + "'");
        stopFor(
            "another process connected as '"
                + options.name()
                + "' (the same --id started twice?) and took its place in the run; this one stops");
        return;
      }
      ServerNameMismatchException mismatch =
          welcomed
              ? null
              : (ServerNameMismatchException)
                  firstCause(t, c -> c instanceof ServerNameMismatchException);
      if (welcomed) {
        emit(TransportEvent.Kind.DISCONNECTED, 0, 0, reason);
      } else if (mismatch != null) {
        // The server's certificate does not name the address this node dialled: it presents the
        // same certificate on every attempt, so the node stops and says which names it has.
        emit(TransportEvent.Kind.CONNECT_FAILED, 0, 0, mismatch.getMessage());
        stopFor(mismatch.getMessage());
        return;
      } else if (untrustedServer(t)) {
        // This node's own check of the server's certificate failed: it does not chain to the CA
        // this node trusts. The server presents the same certificate on every attempt, so the
        // node stops and says why: its line says it in those words, with the TLS check's own
        // reason, not the transport's chain of causes (Netty's pipeline, the TLS engine's class
        // names), which says nothing more to its user.
        String why =
            oneLine(
                "the server's certificate is not signed by the CA this node trusts (its TLS check: "
                    + untrustedReason(t)
                    + ")");
        emit(TransportEvent.Kind.CONNECT_FAILED, 0, 0, why);
        serverNotTrusted = true;
        stopFor(why);
        return;
      } else if (tlsOnlyServer(status) || plaintextServer(t)) {
        // Node and server disagree on TLS: our TLS server's GOAWAY says so in its own words (its
        // status code depends on whether the stream had been sent), and a TLS handshake answered
        // with bytes that are not TLS comes from a plaintext peer. Either is configuration, the
        // same on every attempt, so the node stops and says which flag to change.
        boolean tlsOnly = tlsOnlyServer(status);
        emit(
            TransportEvent.Kind.CONNECT_FAILED,
            0,
            0,
            oneLine(
                tlsOnly
                    ? "the stream failed: the server refused plaintext HTTP/2 (GOAWAY,"
                        + " INADEQUATE_SECURITY)"
                    : reason + causes(t)));
        stopFor((tlsOnly ? PLAINTEXT_NODE : PLAINTEXT_SERVER).formatted(channel.authority()));
        return;
      } else {
        Status.Code code = status == null ? null : status.getCode();
        boolean refused =
            code == Status.Code.UNAUTHENTICATED
                || code == Status.Code.PERMISSION_DENIED
                || code == Status.Code.INVALID_ARGUMENT;
        if (!refused) {
          Duration next;
          synchronized (lock) {
            next = options.backoff().delay(failures + 1);
          }
          // A finished run's server that does not stop this node says why and what to do: its
          // words alone are the line, without the transport's.
          String detail = notToldToStop(status) ? status.getDescription() : reason + causes(t);
          emit(
              TransportEvent.Kind.CONNECT_FAILED,
              0,
              0,
              connectFailedLine(detail, serverAlert(t) ? SERVER_ALERT_HINT : "", next));
        } else {
          emit(TransportEvent.Kind.REFUSED, 0, 0, oneLine(reason + causes(t)));
        }
        if (refused) {
          // The server refused this node's identity or its HELLO: trying again gets the same
          // answer, so the node stops and says why.
          stopFor(
              "the server refused this node: "
                  + (status.getDescription() == null ? reason : status.getDescription()));
          return;
        }
      }
      reconnectLater(this);
    }
  }

  /**
   * Stops for good after the server ended this node's stream for a reason that trying again cannot
   * change; {@code why} becomes its {@link #refusal()}.
   */
  private void stopFor(String why) {
    synchronized (lock) {
      closed = true;
    }
    refusal = why;
    stopped.countDown();
    scheduler.shutdownNow();
  }

  /**
   * Whether a failed connection attempt failed in this node's validation of the server's
   * certificate because it does not chain to a CA this node trusts: a certificate path validation
   * that found no trust anchor (the OpenSSL engine gRPC uses), or a certificate path that could not
   * be built (the JDK's engine). Network failures, the server refusing this node's certificate (an
   * alert from the server) and other certificate problems (an expired one, a host name it does not
   * name) are not this.
   */
  static boolean untrustedServer(Throwable t) {
    return untrustedCause(t) != null;
  }

  /**
   * Whether the server ended the TLS handshake with an alert, as it does when it does not accept
   * this node's certificate: gRPC's OpenSSL engine reports {@code TLSV1_ALERT_...}, the JDK's
   * engine "Received fatal alert". A network failure or this node's own check of the server is not
   * this.
   */
  static boolean serverAlert(Throwable t) {
    return firstCause(
            t,
            c ->
                c instanceof SSLException
                    && c.getMessage() != null
                    && (c.getMessage().contains("TLSV1_ALERT_")
                        || c.getMessage().contains("Received fatal alert")))
        != null;
  }

  private static Throwable untrustedCause(Throwable t) {
    return firstCause(
        t,
        c ->
            (c instanceof CertPathValidatorException v
                    && v.getReason() == PKIXReason.NO_TRUST_ANCHOR)
                || c instanceof CertPathBuilderException);
  }

  /**
   * The first of {@code t} and its causes (at most ten deep) that {@code test} accepts, or null.
   */
  private static Throwable firstCause(Throwable t, Predicate<Throwable> test) {
    return CauseChain.of(t, 10).stream().filter(test).findFirst().orElse(null);
  }

  private static String untrustedReason(Throwable t) {
    Throwable c = untrustedCause(t);
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }

  /**
   * Whether the server answered this node's TLS handshake with something that is not TLS (Netty's
   * {@code NotSslRecordException}): a plaintext ({@code --insecure}) server.
   */
  static boolean plaintextServer(Throwable t) {
    return firstCause(t, c -> c.getClass().getSimpleName().equals("NotSslRecordException")) != null;
  }

  /**
   * Whether a stream failed because this node spoke plaintext to a TLS server: the server (its
   * {@link HandshakeWatch}) answered the plaintext HTTP/2 with a GOAWAY whose debug data says so,
   * which gRPC puts in the status's description. A server that merely closes the connection (as any
   * TLS server does with plaintext, but also a server going down) is not this.
   */
  static boolean tlsOnlyServer(Status status) {
    return status != null
        && status.getDescription() != null
        && status.getDescription().contains(HandshakeWatch.PLAINTEXT_REFUSED);
  }

  /**
   * Whether a finished run's server refused this node's stream because its HELLO does not name that
   * run ({@link FederationServer#NOT_TOLD}): the node is not told to stop, and tries again.
   */
  static boolean notToldToStop(Status status) {
    return status != null
        && status.getCode() == Status.Code.UNAVAILABLE
        && status.getDescription() != null
        && status.getDescription().contains(FederationServer.NOT_TOLD);
  }

  /**
   * The end of a failed connection attempt's line, {@code " (trying again in N s)"} ({@link
   * #connectFailedLine}); group 1 is the delay, "N s".
   */
  static final Pattern TRYING_AGAIN = Pattern.compile(" \\(trying again in ([0-9.]+ s)\\)$");

  /**
   * The line a failed connection attempt is reported as: its detail on one line ({@link #oneLine}),
   * the hint, and when the node tries again ({@link #TRYING_AGAIN}).
   */
  static String connectFailedLine(String detail, String hint, Duration next) {
    long millis = next.toMillis();
    String when =
        millis % 1000 == 0
            ? (millis / 1000) + " s"
            : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    return oneLine(detail) + hint + " (trying again in " + when + ")";
  }

  /**
   * A failure's text on one line: line breaks (Netty's "Channel Pipeline: [...]" on a line of its
   * own) and runs of white space become one space, and a run of more than {@link #MAX_HEX_RUN} hex
   * digits (a dump of the bytes received) is cut to its first {@value #MAX_HEX_RUN} and "...".
   */
  static String oneLine(String text) {
    String flat = text.replaceAll("\\s+", " ").strip();
    return flat.replaceAll("([0-9a-fA-F]{" + MAX_HEX_RUN + "})[0-9a-fA-F]+", "$1...");
  }

  /** The chain of causes of a failure, which for TLS problems says what was wrong. */
  private static String causes(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c : CauseChain.of(t == null ? null : t.getCause(), 5)) {
      b.append("; caused by ").append(c.getClass().getSimpleName());
      if (c.getMessage() != null) {
        b.append(": ").append(c.getMessage());
      }
    }
    return b.toString();
  }
}
