package org.fedpeft.cli;

import com.google.gson.JsonObject;
import io.grpc.Server;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.fedpeft.client.ClientData;
import org.fedpeft.config.ConfigException;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.federation.RoundFailedException;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.grpc.BindRetry;
import org.fedpeft.grpc.ClientNode;
import org.fedpeft.grpc.FederationServer;
import org.fedpeft.grpc.RunInfo;
import org.fedpeft.grpc.TlsFiles;
import org.fedpeft.grpc.Transport;
import org.fedpeft.run.PausePoint;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedpeft server}: the federation's server, with remote client nodes over gRPC. */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the rounds of CONFIG (the TOML of 'simulate', without data.file when the clients bring"
          + " their own data) with client nodes connected over"
          + " gRPC with mutual TLS: the same strategy, sampling, evaluation, checkpoints and"
          + " outputs as 'simulate', each client of the population being the node whose"
          + " certificate names it (client-0, client-1, ..., zero-padded for 10 or more clients)"
          + " or a stream of a node whose"
          + " certificate lists it (see '"
          + Launcher.IN_HELP
          + " certs').",
      "What the server needs of the data: the population (clients), the labels, which it sends to"
          + " every node when it connects, and optionally a test split for the global model. With"
          + " data.labels and no data.file, the clients hold all the training data (client --data"
          + " FILE) and the server reads none of it: the labels are data.labels, the test split is"
          + " data.test (a file on the server), and without data.test the rounds are evaluated on"
          + " the clients' held-out data only (summary.json: evaluation = federated). Otherwise it"
          + " loads the config's data (data.file, or a bundled data.task) as 'simulate' does.",
      "It waits for every node (or --wait-for N) before the first round (a node that refuses the"
          + " run, its data or its model not fitting it, does not count); a node missing or lost in"
          + " a round is a failed client of that round (kind DROPPED in metrics.jsonl)."
    })
public final class ServerCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin RunConfigArgs config;

  @Option(
      names = {"-o", "--out"},
      paramLabel = "DIR",
      description = "Output folder (default: a new runs/server-<date-time>-p<pid>).")
  Path out;

  @Option(
      names = "--resume",
      paramLabel = "DIR",
      description =
          "Continue the interrupted run in DIR, with the config and data it started with"
              + " (DIR/config.json must match the config in DIR/manifest.json; a DIR/metrics.jsonl"
              + " deleted or changed in the lines the checkpoint counts is refused, as the"
              + " checkpoint keeps no copy of them). A finished run"
              + " (DIR/summary.json written) is not run again: it gets its report.html if it was"
              + " interrupted before writing it, then listens as the run did to tell its clients,"
              + " which reconnect, that the run is over (waiting up to --wait-seconds for them, or"
              + " for --wait-for N; Ctrl-C or --wait-seconds 0 skips the wait, the report being"
              + " written).")
  Path resume;

  @Option(
      names = "--force",
      description =
          "Replace the --out folder (needs --out) if it holds a run (a run refused before its first"
              + " round, or interrupted while it waits for its nodes, keeps the replaced one).")
  boolean force;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      defaultValue = "127.0.0.1:7443",
      description =
          "Address to listen on (default: ${DEFAULT-VALUE}); port 0 takes a free port, which the"
              + " 'server: listening on' line names.")
  String listen;

  @Option(
      names = "--wait-for",
      paramLabel = "N",
      description = "Start once N nodes are connected (default: every client of the population).")
  Integer waitFor;

  @Option(
      names = "--wait-seconds",
      paramLabel = "S",
      description =
          "Give up if the nodes have not connected by then (default: "
              + RUN_WAIT_SECONDS
              + "), naming those that did not and why any refused the run, as Ctrl-C during the"
              + " wait does; either leaves a new run's --out folder as the command found it"
              + " (nothing was trained), so the same command starts it again; a resumed run's"
              + " folder is kept as it was, the message naming the resume; a finished run's"
              + " --resume waits this long for its nodes to be told"
              + " that the run is over (default: "
              + FINISHED_WAIT_SECONDS
              + ", four times the longest wait between a node's attempts to connect under its"
              + " default --reconnect-max-seconds).")
  Long waitSeconds;

  /** How long a run waits for its nodes before the first round, without --wait-seconds. */
  static final long RUN_WAIT_SECONDS = 600;

  /**
   * How long a finished run's resume waits for its nodes to be told that the run is over, without
   * --wait-seconds: four times the longest delay between a node's attempts under the default
   * backoff ({@link ClientNode.Backoff#DEFAULT_MAX_SECONDS}), so that a node still running comes
   * back in time; a node started with a larger {@code --reconnect-max-seconds} may need a longer
   * --wait-seconds.
   */
  static final long FINISHED_WAIT_SECONDS = 4 * ClientNode.Backoff.DEFAULT_MAX_SECONDS;

  @Option(
      names = "--rejoin-wait-seconds",
      paramLabel = "S",
      defaultValue = "0",
      description =
          "After each round, wait up to this long for every node of the population to be"
              + " connected again (restarted nodes rejoin before the next round is sampled);"
              + " 0: go on at once (default: ${DEFAULT-VALUE}).")
  long rejoinWaitSeconds;

  @Mixin NetworkOptions network;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    TlsFiles tls = network.files(null);
    RunGuard guard;
    SimulationConfig cfg = null;
    try {
      if (resume != null) {
        if (config.given() || out != null || force) {
          throw new UserInputException("--resume takes only the run folder");
        }
        guard = RunGuard.resume(resume, "server", err);
      } else {
        SimulateCommand.requireConfigFile(config.file, "server");
        cfg = SimulationConfig.load(config.file, config.overrides);
        requireServerData(cfg);
        guard = RunGuard.newRun(out, "server", force, err);
      }
    } catch (ConfigException | DataFormatException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    try (guard) {
      return serve(guard, cfg, tls, stdout, err);
    }
  }

  private Integer serve(
      RunGuard guard, SimulationConfig cfg, TlsFiles tls, PrintWriter stdout, PrintWriter err)
      throws Exception {
    Simulation sim;
    String runId;
    try {
      if (cfg == null) {
        guard.requireStartWritten();
        if (guard.finished()) {
          return endFinishedRun(guard, tls, stdout, err);
        }
        // A run killed while starting starts again: the same data check as a new run's.
        sim = Simulation.resume(guard.path(), ServerCommand::requireServerData);
        err.printf("resuming %s after round %d%n", guard.path(), sim.completedRounds());
      } else {
        sim = guard.createSimulation(cfg, "server", resumeTransport(network, listen));
      }
    } catch (ConfigException | DataFormatException | IOException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    try {
      runId = recordTransport(guard.path().resolve("manifest.json"), tls == null);
    } catch (IOException | RuntimeException e) {
      // Nothing else holds the simulation yet: free its model before the refusal.
      sim.close();
      throw e instanceof RuntimeException r ? r : new UserInputException(e.getMessage(), e);
    }
    int code;
    try (sim) {
      String picked = sim.precisionNote();
      if (picked != null) {
        err.println(picked);
      }
      String noisy = sim.clientDpNoiseWarning();
      if (noisy != null) {
        err.println(noisy);
      }
      err.println(describeData(sim));
      List<String> ids = sim.clients().stream().map(ClientData::id).toList();
      int need = need(ids);
      FederationServer federation =
          new FederationServer(
              options(ids, tls, err)
                  .withRunInfo(
                      new RunInfo(
                          sim.splits().labels(),
                          sim.splits().tasks(),
                          runId,
                          sim.knowsClientData()
                              ? sim.clients().stream()
                                  .collect(
                                      java.util.stream.Collectors.toMap(
                                          ClientData::id, ClientData::digest))
                              : Map.of(),
                          sim.baseModel())));
      Server server = listen(federation, tls);
      String bound = boundAddress(listen, server.getPort());
      try {
        long wait = waitSeconds == null ? RUN_WAIT_SECONDS : waitSeconds;
        Path dir = guard.path();
        int total = sim.config().rounds();
        Simulation held = sim;
        String resumeOptions =
            resumeTransport(network, bound) + " (the clients reconnect by themselves)";
        Supplier<String> saved =
            () -> RunGuard.roundsSaved("server", held.savedRounds(), total, dir, resumeOptions);
        // Ctrl-C ends the wait as --wait-seconds does, saying who connected and who refused; a new
        // run's folder is then left as the command found it, as after --wait-seconds, and a
        // resumed run's is kept.
        Supplier<String> waiting =
            () ->
                "interrupted while waiting for the nodes: "
                    + notConnected(federation, ids, need, "");
        if (resume == null) {
          guard.abandonOnInterrupt(waiting);
        } else {
          guard.onInterrupt(() -> waiting.get() + "; " + saved.get());
        }
        // Printed once an interruption is answered as the wait's (tests signal on this line).
        err.printf(
            "server: listening on %s (%s), run %s; waiting for %d of %d %s %s%n",
            bound,
            tls == null ? "PLAINTEXT, identities unchecked" : "mutual TLS",
            runId,
            need,
            ids.size(),
            Main.plural(ids.size(), "node"),
            ids);
        if (!federation.awaitConnected(need, Duration.ofSeconds(wait))) {
          String why = notConnected(federation, ids, need, " within " + wait + " s");
          // A new run's folder is left as the command found it, said as Ctrl-C's wait says it; a
          // resumed run's is kept, and said so (Ctrl-C's words for it begin with "interrupted").
          String left =
              resume == null
                  ? guard.abandonUnstarted()
                  : RunGuard.keptAsItWas("server", sim.savedRounds(), total, dir, resumeOptions);
          throw new UserInputException(left == null ? why : why + "; " + left);
        }
        // The rounds begin: from now on the folder keeps what the run writes. The message first,
        // so that an interruption between the two keeps the folder and says how to resume it.
        guard.onInterrupt(saved);
        guard.started();
        // The test split's evaluations draw eval's delayed bar, between the round lines.
        sim.setEvaluationProgress(
            (documents, texts) -> ProgressBar.evaluation(err, documents, texts, "test"));
        sim.setClientFitProgress(sampled -> ProgressBar.clients(err, sampled));
        RoundNotices notices = new RoundNotices();
        // The rounds the checkpoint holds: one of them that the run releases again is marked.
        int resumedAfter = resume == null ? 0 : sim.completedRounds();
        JsonObject summary;
        try {
          summary =
              sim.run(
                  new Simulation.Listener() {
                    @Override
                    public void onRound(RoundReport r, Map<String, Object> line) {
                      err.printf(
                          Locale.ROOT,
                          "round %d%s: %d/%d %s%s%n",
                          r.round(),
                          SimulateCommand.fromCheckpoint(r.round(), resumedAfter),
                          r.accepted().size(),
                          r.sampled().size(),
                          Main.plural(r.sampled().size(), "client"),
                          line.get("accuracy") instanceof Double a
                              ? String.format(Locale.ROOT, ", accuracy %.4f", a)
                              : !line.containsKey("accuracy")
                                      && line.get("client_accuracy_mean") instanceof Double m
                                  ? String.format(
                                      Locale.ROOT, ", clients' held-out accuracy %.4f", m)
                                  : "");
                      if (afterRound != null) {
                        err.println(afterRound);
                        afterRound = null;
                      }
                      for (String failed :
                          Arrays.asList(
                              SimulateCommand.fitFailureLine(r.round(), line),
                              SimulateCommand.evalFailureLine(r.round(), line))) {
                        if (failed != null) {
                          err.println(failed);
                        }
                      }
                      if (rejoinWaitSeconds > 0) {
                        List<String> missing = notConnected(federation, ids);
                        if (!missing.isEmpty()) {
                          err.printf(
                              "after round %d: waiting up to %d s for %s to connect again%n",
                              r.round(), rejoinWaitSeconds, missing);
                        }
                        try {
                          if (!federation.awaitConnected(
                              ids, Duration.ofSeconds(rejoinWaitSeconds))) {
                            err.printf(
                                "after round %d: going on with %s connected%n",
                                r.round(), federation.connectedNodes());
                          }
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                      }
                    }

                    @Override
                    public void onStop(String reason) {
                      err.println("stopping early: " + reason);
                    }

                    /** What a skipped or noise-only round adds after its line, which follows. */
                    private String afterRound;

                    @Override
                    public void onNoiseOnly(int round, String reason) {
                      afterRound = notices.noiseOnly(round, reason);
                    }

                    @Override
                    public void onSkip(int round, String reason) {
                      afterRound = notices.skip(round, reason);
                    }
                  },
                  c -> federation.clientApp(c.id()));
        } catch (RoundFailedException e) {
          throw SimulateCommand.roundFailed("server", e, sim);
        }
        notices.totals().forEach(err::println);
        PausePoint.reach("simulation-before-report");
        code =
            SimulateCommand.printResult(
                "server",
                summary,
                sim.config().objective().contrastive(),
                ReportWriter.write(sim.out()),
                stdout,
                err);
        federation.finish(finishReason(summary));
        // Let the transport deliver the nodes' last frames before it closes.
        server.shutdown();
        server.awaitTermination(10, TimeUnit.SECONDS);
      } finally {
        federation.close();
        server.shutdownNow();
      }
    }
    return code;
  }

  /**
   * The resume of a finished server run (its summary.json written): its nodes, still running, may
   * not have been told that the run is over if the server was killed before it told them (before or
   * after its report.html), and keep reconnecting. First writes the report if it is missing ({@link
   * SimulateCommand#writeMissingReport}) and prints the result, so that nothing is lost whatever
   * happens next; then listens at {@link #listen} as the run did, telling every node of this run
   * that connects that the run is over (what a finished run tells its nodes, {@link #finishReason})
   * instead of welcoming it (a node that never joined this run, its HELLO naming another run or
   * none, is not told: {@link FederationServer#finish}); says what it waits for and how to skip the
   * wait, prints each node told, and waits up to {@link #waitSeconds} (default {@link
   * #FINISHED_WAIT_SECONDS}) for every node of the population (or {@link #waitFor}) to have been
   * told, naming those that were not (or, on Ctrl-C, those told so far). An address it cannot
   * listen on is refused after the report is written, naming the address. Returns the exit code of
   * the result ({@link SimulateCommand#printResult}: 2 for a run in which no round completed, else
   * 0).
   */
  private Integer endFinishedRun(RunGuard guard, TlsFiles tls, PrintWriter stdout, PrintWriter err)
      throws Exception {
    Path dir = guard.path();
    // The report first: whatever fails or is interrupted afterwards, it is written.
    Integer code =
        SimulateCommand.writeMissingReport(
            guard, (s, c, report) -> printResult(s, c, report, stdout, err), err);
    // With the report there, config.json read here as writeMissingReport reads it (the result
    // names how retrieval was scored), refused in the same words, before anything is done.
    boolean contrastive = code == null && SimulateCommand.contrastive(dir);
    JsonObject summary;
    List<String> ids;
    String runId;
    try {
      summary = org.fedpeft.io.JsonFiles.readObject(dir.resolve("summary.json"));
      if (code == null) {
        code = printResult(summary, contrastive, dir.resolve(ReportWriter.FILE), stdout, err);
      }
      stdout.flush();
      ids = population(dir.resolve("partition.json"));
      runId = runIdOf(dir.resolve("manifest.json"));
    } catch (IOException | RuntimeException e) {
      throw new UserInputException(
          dir + ": cannot tell the nodes that the finished run is over: " + e.getMessage(), e);
    }
    int need = need(ids);
    long wait = waitSeconds == null ? FINISHED_WAIT_SECONDS : waitSeconds;
    FederationServer federation =
        new FederationServer(
            options(ids, tls, err).withRunInfo(new RunInfo(null, List.of(), runId, Map.of())));
    // Before the first node can connect: every node of the run is told it is over, none welcomed.
    federation.finish(finishReason(summary));
    Server server;
    try {
      server = listen(federation, tls);
    } catch (UserInputException e) {
      throw new UserInputException(
          e.getMessage()
              + "; the run's report is written, but its nodes, if still running, were not told"
              + " that the run is over: stop them by hand, or free the address and run this"
              + " again",
          e.getCause());
    }
    try {
      // Set before the line below, which says Ctrl-C skips the wait (and which tests wait for).
      guard.onInterrupt(
          () ->
              "stopped waiting: told "
                  + federation.toldNodes()
                  + " that the run is over; the others, if still running, are to be stopped by"
                  + " hand. The run's report is "
                  + dir.resolve(ReportWriter.FILE));
      err.printf(
          "server: listening on %s (%s), %s; the run is finished: telling %d of %d %s %s that"
              + " it is over as they connect, waiting up to %d s (--wait-seconds; Ctrl-C skips the"
              + " wait, the report is written)%n",
          boundAddress(listen, server.getPort()),
          tls == null ? "PLAINTEXT, identities unchecked" : "mutual TLS",
          // A run started before runs recorded one has no run_id (never "run null").
          runId == null ? "a run without a run_id (started by an earlier version)" : "run " + runId,
          need,
          ids.size(),
          Main.plural(ids.size(), "node"),
          ids,
          wait);
      err.flush();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(wait);
      java.util.Set<String> told = federation.toldNodes();
      while (told.size() < need) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !federation.awaitTold(told.size() + 1, Duration.ofNanos(left))) {
          break;
        }
        java.util.Set<String> before = told;
        told = federation.toldNodes();
        for (String id : told) {
          if (!before.contains(id)) {
            err.printf("server: told %s that the run is over (%d of %d)%n", id, told.size(), need);
          }
        }
        err.flush();
      }
      if (told.size() < need) {
        java.util.Set<String> seen = told;
        err.printf(
            "server: %s did not connect within %d s to be told that the run is over (told: %s);"
                + " stop %s by hand%n",
            ids.stream().filter(id -> !seen.contains(id)).toList(),
            wait,
            told,
            ids.size() - told.size() == 1 ? "it" : "them");
      }
      // Let the transport deliver the nodes' last frames before it closes.
      server.shutdown();
      server.awaitTermination(10, TimeUnit.SECONDS);
      return code;
    } finally {
      federation.close();
      server.shutdownNow();
    }
  }

  /**
   * The run's identity, {@code run_id} of its manifest.json ({@link #recordTransport}), which its
   * nodes name when they reconnect; null for a run started before it was recorded.
   */
  private static String runIdOf(Path manifest) throws IOException {
    JsonObject m = org.fedpeft.io.JsonFiles.readObject(manifest);
    return m.has("run_id") ? m.get("run_id").getAsString() : null;
  }

  /** What the nodes are told when the run whose summary.json is {@code summary} is over. */
  private static String finishReason(JsonObject summary) {
    return "the run completed " + SimulateCommand.roundCount(summary.get("rounds").getAsInt());
  }

  /**
   * The client ids of a run's population, in order: the members of its partition.json's {@code
   * clients}.
   */
  private static List<String> population(Path partition) throws IOException {
    JsonObject p = org.fedpeft.io.JsonFiles.readObject(partition);
    if (!(p.get("clients") instanceof JsonObject clients) || clients.size() == 0) {
      throw new IllegalArgumentException(partition + ": no clients");
    }
    return List.copyOf(clients.keySet());
  }

  /**
   * How many nodes the server waits for: {@link #waitFor}, or every client of {@code ids}; refuses
   * a {@code --wait-for} outside 1 to their number.
   */
  private int need(List<String> ids) {
    int need = waitFor == null ? ids.size() : waitFor;
    if (need < 1 || need > ids.size()) {
      throw new UserInputException(
          (ids.size() == 1
                  ? "--wait-for must be 1, the run's only client"
                  : "--wait-for must be between 1 and the run's " + ids.size() + " clients")
              + ", got "
              + need);
    }
    return need;
  }

  /**
   * What a resume of this server's run needs besides its folder, for the messages that name it, so
   * that the command they give runs as pasted: the TLS options as this command was given them ("
   * --insecure", " --certs DIR" or " --ca FILE --cert FILE --key FILE"; the certificates are not
   * recorded in the run folder) and " --listen ADDRESS".
   */
  static String resumeTransport(NetworkOptions network, String address) {
    return network.asGiven() + " --listen " + Launcher.arg(address);
  }

  /**
   * The federation's options that a run and a finished run's resume share: TLS or not, the run's
   * population, and the network events printed to standard error.
   */
  private static FederationServer.Options options(List<String> ids, TlsFiles tls, PrintWriter err) {
    return FederationServer.Options.defaults()
        .withInsecure(tls == null)
        .withPopulation(ids)
        .withListener(NetworkOptions.console(err));
  }

  /**
   * Starts the gRPC server of {@code federation} on {@link #listen}; refuses an address it cannot
   * listen on, saying why. A resumed server binds the port of the server it replaces, which can be
   * in use a moment after that server ended: it tries again while the address is in use, with short
   * pauses, up to {@link BindRetry#ATTEMPTS} attempts (under 4 s); a new run tries once.
   */
  private Server listen(FederationServer federation, TlsFiles tls) {
    try {
      return BindRetry.bind(
          resume == null ? 1 : BindRetry.ATTEMPTS,
          () -> Transport.startServer(Transport.parseAddress(listen), tls, federation));
    } catch (IOException e) {
      // gRPC words a failed bind "Failed to bind to address ..." and says why in the cause
      // ("Address already in use").
      String why =
          e.getCause() == null || e.getCause().getMessage() == null
              ? e.getMessage()
              : e.getMessage() + ": " + e.getCause().getMessage();
      throw new UserInputException("cannot listen on " + listen + ": " + why, e);
    }
  }

  /**
   * The address the server listens on, as its "listening on" line and resume hint name it: the host
   * of {@code listen} as written (brackets of an IPv6 address kept) and the port bound, which is
   * the one of {@code listen} unless that was 0 (then a free port the kernel picked).
   */
  static String boundAddress(String listen, int port) {
    return listen.substring(0, listen.lastIndexOf(':') + 1) + port;
  }

  /** The nodes of {@code ids} that are not connected now, in the order of {@code ids}. */
  static List<String> notConnected(FederationServer federation, List<String> ids) {
    java.util.Set<String> connected = federation.connectedNodes();
    return ids.stream().filter(id -> !connected.contains(id)).toList();
  }

  /**
   * Why the wait for the nodes failed: "only C of N nodes connected{@code within}: [...]; not
   * connected: [...]", and the reason each node that refused the run gave (a refusing node never
   * counts as connected).
   *
   * @param within how long the wait lasted, for example " within 45 s" ("" when it was interrupted)
   */
  static String notConnected(
      FederationServer federation, List<String> ids, int need, String within) {
    java.util.Set<String> connected = federation.connectedNodes();
    Map<String, String> refusals = federation.refusals();
    List<String> missing = notConnected(federation, ids);
    StringBuilder b =
        new StringBuilder()
            .append("only ")
            .append(connected.size())
            .append(" of ")
            .append(need)
            .append(" ")
            .append(Main.plural(need, "node"))
            .append(" connected")
            .append(within)
            .append(": ")
            .append(connected)
            .append("; not connected: ")
            .append(missing);
    for (String id : missing) {
      String why = refusals.get(id);
      if (why != null) {
        b.append("; ").append(id).append(" refused the run: ").append(why);
      }
    }
    if (!refusals.isEmpty()) {
      b.append(" (fix what it says and start that client again)");
    }
    return b.toString();
  }

  /**
   * Refuses, before anything is written, a config whose data file is not on this machine, naming
   * the key and what a server without the clients' data needs instead.
   */
  static void requireServerData(SimulationConfig cfg) {
    String file = cfg.dataFile();
    if (!file.isEmpty() && !Files.exists(Path.of(file))) {
      throw new UserInputException(
          "data.file = "
              + file
              + ": no such file or folder on the server. A server whose clients bring their own"
              + " files (client --data FILE) reads no training data: leave data.file out of its"
              + " config (or --set data.file=) and list the run's labels in class order as"
              + " data.labels = [...]"
              + (cfg.data().labels().isEmpty() ? " (this config has no data.labels)" : "")
              + "; a test file of the server's own is data.test");
    }
  }

  /**
   * What the server knows of the run's data, its strategy as {@code simulate}'s start line names it
   * ({@link SimulateCommand#strategyWords}), how the rounds are evaluated, and the frozen model
   * with the precision it computes in.
   */
  static String describeData(Simulation sim) {
    org.fedpeft.data.TaskSplits splits = sim.splits();
    SimulationConfig c = sim.config();
    String data =
        c.data().heldByClients()
            ? "the clients hold the training data (data.labels without data.file): this server"
                + " reads none of it; labels "
                + ClientHost.abbreviate(splits.labels())
            : "data "
                + (c.dataFile().isEmpty() ? "task " + c.task() : c.dataFile())
                + ", labels "
                + ClientHost.abbreviate(splits.labels());
    String eval =
        splits.test().size() > 0
            ? "the global model on "
                + splits.test().size()
                + " test "
                + Main.plural(splits.test().size(), "example")
                + (c.dataTest().isEmpty() ? "" : " of " + c.dataTest())
                + ", and the clients on their held-out data"
            : "federated, on the clients' held-out data only (no test split on the server)";
    return "server: "
        + data
        + "; strategy "
        + SimulateCommand.strategyWords(c)
        + "; evaluation: "
        + eval
        + "; model "
        + sim.modelName()
        + " ("
        + sim.precision().label()
        + ")";
  }

  /**
   * Prints what {@code server} says at the end of a finished run, from its summary.json: what
   * {@code simulate} says ({@link SimulateCommand#printResult}; {@code contrastive}, the run's
   * objective, read from its config.json as a resume reads it: by {@link
   * SimulateCommand#writeMissingReport}, or by {@link SimulateCommand#contrastive(Path)} when the
   * report was there); returns the exit code.
   */
  private static int printResult(
      JsonObject summary, boolean contrastive, Path report, PrintWriter stdout, PrintWriter err)
      throws IOException {
    return SimulateCommand.printResult("server", summary, contrastive, report, stdout, err);
  }

  /**
   * Records in the run's manifest how its messages travelled: {@code transport} is "grpc, mutual
   * TLS" or "grpc, PLAINTEXT (--insecure): identities unchecked, traffic readable", updated on
   * every start (a resumed run may change it); and the run's identity, {@code run_id}, made on the
   * first start and kept by every resumed one, which clients bind their LOCAL state to. Returns the
   * identity.
   */
  static String recordTransport(java.nio.file.Path manifest, boolean insecure) throws IOException {
    com.google.gson.JsonObject m = org.fedpeft.io.JsonFiles.readObject(manifest);
    if (!m.has("run_id")) {
      m.addProperty("run_id", java.util.UUID.randomUUID().toString());
    }
    m.addProperty(
        "transport",
        insecure
            ? "grpc, PLAINTEXT (--insecure): identities unchecked, traffic readable"
            : "grpc, mutual TLS");
    org.fedpeft.io.AtomicFiles.writeString(manifest, org.fedpeft.io.JsonOut.line(m) + "\n");
    return m.get("run_id").getAsString();
  }
}
