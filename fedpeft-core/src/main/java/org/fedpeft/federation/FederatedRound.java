package org.fedpeft.federation;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import org.fedpeft.model.BatchProgress;

/**
 * Runs synchronous federated rounds over {@link ClientApp}s: in the simulation they are the clients
 * themselves, in a network server (fedpeft-grpc) proxies that send each message's bytes to a remote
 * node and wait for its reply. The round logic (sampling, {@link Strategy}, validation, byte
 * accounting) is the same for both.
 *
 * <p>One call of {@link #run}:
 *
 * <ol>
 *   <li>sample the round's clients ({@link ClientSampler}, keyed by (seed, round)); with Poisson
 *       sampling a round that drew fewer clients than the strategy's minimum (possibly none) is
 *       skipped: its report has {@code server.round_skipped = 1} and a state that only advanced its
 *       round number; but a strategy that {@linkplain Strategy#releasesEveryRound releases every
 *       round} (client-level DP under Poisson sampling) runs it with the clients drawn, none
 *       included (then nothing is sent and the aggregate is the noise alone);
 *   <li>{@link Strategy#configureRound} (which may refuse the round before anything is sent, e.g.
 *       {@code BudgetExceededException} from a client-level privacy budget); each client's {@link
 *       FitInstructions} are serialized (the wire form) and the byte count logged as DOWN;
 *   <li>call {@link ClientApp#fit} for each, at most {@code parallelism} at a time, each on its own
 *       thread with its own timeout; an exception, a timeout, no reply or a reply under another
 *       client's id becomes a {@link ClientFailure} with the reason, and the round goes on (kind
 *       TIMEOUT for a timeout, DECLINED for a {@link ClientDeclinedException}, DROPPED for a {@link
 *       ClientDroppedException} (the transport lost a remote client), ERROR otherwise);
 *   <li>log each reply's serialized size as UP; {@link Strategy#aggregate} validates and aggregates
 *       ({@link RoundFailedException} if too few clients contributed).
 * </ol>
 *
 * <p>With {@code serializeMessages} (the default) every message really goes through its byte form,
 * so the simulation exercises exactly what a network carries and clients cannot share memory with
 * the server. Results do not depend on parallelism or on the order replies arrive: the strategy
 * sums in client-id order.
 *
 * <p>A client that ignores interruption after its timeout keeps its (daemon) thread busy but no
 * longer holds up the round or counts towards parallelism. {@link #close()} interrupts all.
 *
 * <p>Run one round at a time (the driver is not meant to be called from several threads at once).
 */
public final class FederatedRound implements AutoCloseable {

  /**
   * Sees every message in its byte form as it crosses between server and client (only with
   * serialized messages): for monitoring, and for tests that check what really travels. Called on
   * the driver's thread; it must not keep or change the array.
   */
  @FunctionalInterface
  public interface MessageTap {
    /** A tap that ignores everything. */
    MessageTap NONE = (round, clientId, phase, direction, bytes) -> {};

    void onMessage(
        int round,
        String clientId,
        CommunicationLog.Phase phase,
        CommunicationLog.Direction direction,
        byte[] bytes);
  }

  /**
   * Driver settings.
   *
   * @param clientTimeout the longest a client call may take, positive
   * @param parallelism the number of clients called at once, at least 1 (1: one after another, as a
   *     single machine training real models should)
   * @param serializeMessages whether messages pass through their byte form (otherwise sizes are
   *     computed without serializing and objects are handed over directly)
   */
  public record Options(Duration clientTimeout, int parallelism, boolean serializeMessages) {

    /** Validates the fields. */
    public Options {
      Objects.requireNonNull(clientTimeout, "clientTimeout");
      if (clientTimeout.isNegative() || clientTimeout.isZero()) {
        throw new IllegalArgumentException("client timeout must be positive, got " + clientTimeout);
      }
      if (parallelism < 1) {
        throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
      }
    }

    /** 30 minutes per client, one client at a time, messages serialized. */
    public static Options defaults() {
      return new Options(Duration.ofMinutes(30), 1, true);
    }

    /** A copy with another timeout. */
    public Options withClientTimeout(Duration timeout) {
      return new Options(timeout, parallelism, serializeMessages);
    }

    /** A copy with another parallelism. */
    public Options withParallelism(int n) {
      return new Options(clientTimeout, n, serializeMessages);
    }

    long timeoutNanos() {
      try {
        return Math.min(clientTimeout.toNanos(), Long.MAX_VALUE / 4);
      } catch (ArithmeticException e) {
        return Long.MAX_VALUE / 4;
      }
    }
  }

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final Strategy strategy;
  private final SortedMap<String, ClientApp> clients;
  private final ClientSampler sampler;
  private final CommunicationLog log;
  private final Options options;
  private final ExecutorService executor;
  private volatile MessageTap tap = MessageTap.NONE;
  private volatile IntFunction<BatchProgress> fitProgress = clients -> BatchProgress.NONE;

  /**
   * @param strategy the server algorithm
   * @param clients the client apps by id (the population)
   * @param sampler chooses each round's clients
   * @param log receives the byte counts
   * @param options timeout, parallelism, serialization
   */
  public FederatedRound(
      Strategy strategy,
      Map<String, ClientApp> clients,
      ClientSampler sampler,
      CommunicationLog log,
      Options options) {
    this.strategy = Objects.requireNonNull(strategy, "strategy");
    this.clients =
        Collections.unmodifiableSortedMap(new TreeMap<>(Wire.sortedCopy(clients, "client")));
    this.sampler = Objects.requireNonNull(sampler, "sampler");
    this.log = Objects.requireNonNull(log, "log");
    this.options = Objects.requireNonNull(options, "options");
    ThreadFactory threads =
        r -> {
          Thread t = new Thread(r, "fedpeft-client-" + THREADS.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    this.executor = Executors.newCachedThreadPool(threads);
  }

  /**
   * Runs round {@code state.round() + 1}.
   *
   * @param state the state after the previous round (not modified)
   * @return the new state and the round's report
   * @throws RoundFailedException if fewer than the strategy's minimum of clients contributed (never
   *     for a strategy that {@linkplain Strategy#releasesEveryRound releases every round})
   * @throws IllegalStateException if fewer clients exist than the strategy's minimum (idem)
   * @throws InterruptedException if the calling thread is interrupted (running clients are
   *     interrupted too)
   */
  public RoundReport run(ServerState state) throws InterruptedException {
    long t0 = System.nanoTime();
    int round = state.round() + 1;
    List<String> sampled = sampler.sample(clients.keySet(), round);
    // A strategy that releases every round (client-level DP under Poisson sampling, whose
    // accounting assumes a release each round) runs it with the clients drawn, possibly none.
    boolean release = strategy.releasesEveryRound();
    if (sampler.isPoisson() && sampled.size() < strategy.minClients() && !release) {
      // Poisson sampling can draw fewer clients than the round needs, even none: the round is
      // skipped (nothing trained or aggregated), its number still advances.
      Map<String, Double> metrics = new TreeMap<>();
      metrics.put("server.clients_sampled", (double) sampled.size());
      metrics.put("server.round_skipped", 1.0);
      return new RoundReport(
          round,
          state.toBuilder().round(round).build(),
          sampled,
          List.of(),
          List.of(),
          metrics,
          Map.of(),
          0,
          0,
          (System.nanoTime() - t0) / 1e9);
    }
    if (sampled.size() < strategy.minClients() && !release) {
      throw new IllegalStateException(
          "round "
              + round
              + ": "
              + sampled.size()
              + " clients can be sampled but strategy "
              + strategy.name()
              + " needs at least "
              + strategy.minClients());
    }
    Map<String, FitInstructions> instructions = strategy.configureRound(state, round, sampled);
    requireOneEach(instructions.keySet(), sampled);

    long down = 0;
    Map<String, Callable<ClientUpdate>> calls = new LinkedHashMap<>();
    for (String id : sampled) {
      FitInstructions message = instructions.get(id);
      if (!message.clientId().equals(id) || message.round() != round) {
        throw new IllegalStateException(
            "the strategy's instructions for "
                + id
                + " in round "
                + round
                + " are addressed to "
                + message.clientId()
                + " in round "
                + message.round());
      }
      Passed<FitInstructions> delivered =
          pass(
              round,
              id,
              CommunicationLog.Phase.FIT,
              CommunicationLog.Direction.DOWN,
              message,
              FitInstructions::fromBytes,
              "instructions to " + id + ", round " + round);
      down += delivered.size();
      ClientApp app = clients.get(id);
      calls.put(id, () -> app.fit(delivered.message()));
    }

    Map<String, Outcome<ClientUpdate>> outcomes =
        callAll(
            calls, "fit", calls.isEmpty() ? BatchProgress.NONE : fitProgress.apply(calls.size()));
    List<ClientUpdate> replies = new ArrayList<>();
    List<ClientFailure> failures = new ArrayList<>();
    Map<String, Map<String, Double>> clientMetrics = new TreeMap<>();
    long up = 0;
    for (String id : sampled) {
      Outcome<ClientUpdate> o = outcomes.get(id);
      if (o.failure() != null) {
        failures.add(o.failure());
        continue;
      }
      ClientUpdate u = o.value();
      if (u == null) {
        failures.add(new ClientFailure(id, ClientFailure.Kind.ERROR, "fit returned no update"));
        continue;
      }
      ClientUpdate received;
      try {
        Passed<ClientUpdate> passed =
            pass(
                round,
                id,
                CommunicationLog.Phase.FIT,
                CommunicationLog.Direction.UP,
                u,
                ClientUpdate::fromBytes,
                "update from " + id + ", round " + round);
        received = passed.message();
        up += passed.size();
      } catch (RuntimeException e) {
        failures.add(
            new ClientFailure(
                id, ClientFailure.Kind.ERROR, "sent an update that cannot be encoded: " + e));
        continue;
      }
      if (!received.clientId().equals(id)) {
        failures.add(
            new ClientFailure(
                id,
                ClientFailure.Kind.ERROR,
                "replied under client id '" + received.clientId() + "'"));
        continue;
      }
      Map<String, Double> m = new TreeMap<>(received.metrics());
      m.put("fit_seconds", o.seconds());
      clientMetrics.put(id, m);
      replies.add(received);
    }

    Aggregation agg;
    try {
      agg = strategy.aggregate(state, round, replies, failures);
    } catch (RoundFailedException e) {
      throw e.withRound(sampled, clientMetrics, (System.nanoTime() - t0) / 1e9);
    }
    Map<String, Double> metrics = new TreeMap<>(agg.metrics());
    metrics.put("server.clients_sampled", (double) sampled.size());
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new RoundReport(
        round,
        agg.state(),
        sampled,
        agg.accepted(),
        agg.failures(),
        metrics,
        clientMetrics,
        down,
        up,
        seconds);
  }

  /**
   * Asks clients to evaluate the model of a state.
   *
   * @param state the state to evaluate
   * @param clientIds the clients to ask (each must be known)
   * @return the combined and per-client metrics
   * @throws InterruptedException if the calling thread is interrupted
   */
  public EvaluationReport evaluate(ServerState state, List<String> clientIds)
      throws InterruptedException {
    for (String id : clientIds) {
      if (!clients.containsKey(id)) {
        throw new IllegalArgumentException("no client '" + id + "'");
      }
    }
    int round = state.round();
    Map<String, EvaluateInstructions> instructions = strategy.configureEvaluate(state, clientIds);
    requireOneEach(instructions.keySet(), clientIds);
    long down = 0;
    Map<String, Callable<EvaluateResult>> calls = new LinkedHashMap<>();
    for (String id : clientIds) {
      EvaluateInstructions message = instructions.get(id);
      Passed<EvaluateInstructions> delivered =
          pass(
              round,
              id,
              CommunicationLog.Phase.EVALUATE,
              CommunicationLog.Direction.DOWN,
              message,
              EvaluateInstructions::fromBytes,
              "evaluation request to " + id);
      down += delivered.size();
      ClientApp app = clients.get(id);
      calls.put(id, () -> app.evaluate(delivered.message()));
    }
    Map<String, Outcome<EvaluateResult>> outcomes = callAll(calls, "evaluate", BatchProgress.NONE);
    List<EvaluateResult> results = new ArrayList<>();
    List<ClientFailure> failures = new ArrayList<>();
    Map<String, Map<String, Double>> clientMetrics = new TreeMap<>();
    long up = 0;
    for (String id : clientIds) {
      Outcome<EvaluateResult> o = outcomes.get(id);
      if (o.failure() != null) {
        failures.add(o.failure());
        continue;
      }
      EvaluateResult r = o.value();
      if (r == null) {
        failures.add(new ClientFailure(id, ClientFailure.Kind.ERROR, "evaluate returned nothing"));
        continue;
      }
      try {
        Passed<EvaluateResult> passed =
            pass(
                round,
                id,
                CommunicationLog.Phase.EVALUATE,
                CommunicationLog.Direction.UP,
                r,
                EvaluateResult::fromBytes,
                "evaluation from " + id);
        r = passed.message();
        up += passed.size();
      } catch (RuntimeException e) {
        failures.add(
            new ClientFailure(
                id, ClientFailure.Kind.ERROR, "sent a result that cannot be encoded: " + e));
        continue;
      }
      if (!r.clientId().equals(id)) {
        failures.add(
            new ClientFailure(
                id, ClientFailure.Kind.ERROR, "replied under client id '" + r.clientId() + "'"));
        continue;
      }
      if (r.numExamples() <= 0) {
        failures.add(
            new ClientFailure(
                id,
                ClientFailure.Kind.REJECTED,
                "reported " + r.numExamples() + " evaluation examples; at least 1 is required"));
        continue;
      }
      Map<String, Double> m = new TreeMap<>(r.metrics());
      m.put("num_examples", (double) r.numExamples());
      clientMetrics.put(id, m);
      results.add(r);
    }
    Map<String, Double> metrics = strategy.aggregateEvaluate(state, results);
    return new EvaluationReport(round, clientIds, metrics, clientMetrics, failures, down, up);
  }

  /** Sets the tap that sees every serialized message from now on. */
  public void setMessageTap(MessageTap tap) {
    this.tap = java.util.Objects.requireNonNull(tap, "tap");
  }

  /**
   * Sets what hears the progress of each round's client training from now on: given the number of
   * clients called to fit, it is told on the driver's thread, each time one of them returns, fails
   * or times out, how many are done. It changes nothing trained or recorded.
   */
  public void setFitProgress(IntFunction<BatchProgress> progress) {
    this.fitProgress = Objects.requireNonNull(progress, "progress");
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  // ---------------------------------------------------------------- calling clients

  private record Outcome<T>(T value, ClientFailure failure, double seconds) {}

  private record Timed<T>(T value, double seconds) {}

  private record Running(String id, long deadline) {}

  /**
   * Calls every client with at most {@code parallelism} at once, each with its own deadline,
   * telling {@code progress} how many are done as each returns, fails or times out.
   */
  private <T> Map<String, Outcome<T>> callAll(
      Map<String, Callable<T>> calls, String what, BatchProgress progress)
      throws InterruptedException {
    Map<String, Outcome<T>> results = new HashMap<>();
    CompletionService<Timed<T>> service = new ExecutorCompletionService<>(executor);
    ArrayDeque<String> queue = new ArrayDeque<>(calls.keySet());
    Map<Future<Timed<T>>, Running> running = new HashMap<>();
    long timeout = options.timeoutNanos();
    try {
      while (!queue.isEmpty() || !running.isEmpty()) {
        while (running.size() < options.parallelism() && !queue.isEmpty()) {
          String id = queue.poll();
          Callable<T> call = calls.get(id);
          long start = System.nanoTime();
          Future<Timed<T>> f =
              service.submit(
                  () -> {
                    long s = System.nanoTime();
                    T value = call.call();
                    return new Timed<>(value, (System.nanoTime() - s) / 1e9);
                  });
          running.put(f, new Running(id, start + timeout));
        }
        long now = System.nanoTime();
        long wait = Long.MAX_VALUE;
        for (Running r : running.values()) {
          wait = Math.min(wait, r.deadline() - now);
        }
        Future<Timed<T>> done = service.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
        if (done != null) {
          Running r = running.remove(done);
          if (r != null) {
            results.put(r.id(), outcomeOf(r.id(), done, what));
            progress.onBatch(results.size(), calls.size());
          }
          continue;
        }
        now = System.nanoTime();
        Iterator<Map.Entry<Future<Timed<T>>, Running>> it = running.entrySet().iterator();
        while (it.hasNext()) {
          Map.Entry<Future<Timed<T>>, Running> e = it.next();
          // A call that completed just now is left for poll() to collect.
          if (e.getValue().deadline() - now <= 0 && e.getKey().cancel(true)) {
            String id = e.getValue().id();
            results.put(
                id,
                new Outcome<>(
                    null,
                    new ClientFailure(
                        id,
                        ClientFailure.Kind.TIMEOUT,
                        what
                            + " did not finish within "
                            + options.clientTimeout().toMillis()
                            + " ms"),
                    options.clientTimeout().toMillis() / 1e3));
            it.remove();
            progress.onBatch(results.size(), calls.size());
          }
        }
      }
    } catch (InterruptedException e) {
      for (Future<Timed<T>> f : running.keySet()) {
        f.cancel(true);
      }
      throw e;
    }
    return results;
  }

  private static <T> Outcome<T> outcomeOf(String id, Future<Timed<T>> done, String what)
      throws InterruptedException {
    try {
      Timed<T> t = done.get();
      return new Outcome<>(t.value(), null, t.seconds());
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof VirtualMachineError vme) {
        throw vme;
      }
      if (cause instanceof ClientDeclinedException declined) {
        return new Outcome<>(
            null,
            new ClientFailure(
                id, ClientFailure.Kind.DECLINED, String.valueOf(declined.getMessage())),
            0);
      }
      if (cause instanceof ClientDroppedException dropped) {
        return new Outcome<>(
            null,
            new ClientFailure(
                id, ClientFailure.Kind.DROPPED, what + " dropped: " + dropped.getMessage()),
            0);
      }
      String message = cause.getMessage();
      String text = cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
      return new Outcome<>(
          null, new ClientFailure(id, ClientFailure.Kind.ERROR, what + " threw " + text), 0);
    } catch (CancellationException e) {
      return new Outcome<>(
          null, new ClientFailure(id, ClientFailure.Kind.TIMEOUT, what + " was cancelled"), 0);
    }
  }

  /** A message as the other side got it, and the bytes its wire form takes. */
  private record Passed<M>(M message, long size) {}

  /**
   * {@code message} passed from one side to the other, its size recorded in the log: through its
   * wire form when {@link Options#serializeMessages} (the bytes shown to the tap, then read back by
   * {@code read}, whose errors name {@code source}), else as it is, its size computed without
   * serializing.
   *
   * @throws RuntimeException if the message cannot be encoded or read back (the log records
   *     nothing; the tap has seen the bytes of a message that was encoded but not read back)
   */
  private <M extends WireMessage> Passed<M> pass(
      int round,
      String id,
      CommunicationLog.Phase phase,
      CommunicationLog.Direction direction,
      M message,
      BiFunction<byte[], String, M> read,
      String source) {
    M passed = message;
    long size;
    if (options.serializeMessages()) {
      byte[] bytes = message.toBytes();
      size = bytes.length;
      tap.onMessage(round, id, phase, direction, bytes);
      passed = read.apply(bytes, source);
    } else {
      size = message.serializedSize();
    }
    log.record(round, id, phase, direction, size);
    return new Passed<>(passed, size);
  }

  private static void requireOneEach(Set<String> got, List<String> expected) {
    if (!got.equals(new HashSet<>(expected))) {
      throw new IllegalStateException(
          "the strategy configured clients " + got + " but " + expected + " were asked for");
    }
  }
}
