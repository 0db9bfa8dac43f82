package org.fedpeft.cli;

import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.fedpeft.client.BaseModel;
import org.fedpeft.client.ClientData;
import org.fedpeft.client.ClientModels;
import org.fedpeft.client.PeftClient;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.Example;
import org.fedpeft.data.LabelCheck;
import org.fedpeft.federation.ClientApp;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.EvaluateInstructions;
import org.fedpeft.federation.EvaluateResult;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.grpc.CertificateGenerator;
import org.fedpeft.grpc.ClientNode;
import org.fedpeft.grpc.RunInfo;
import org.fedpeft.grpc.TlsFiles;
import org.fedpeft.grpc.Transport;
import org.fedpeft.grpc.TransportEvent;
import org.fedpeft.io.ShutdownHooks;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.run.PausePoint;
import org.fedpeft.run.Population;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.run.StrategyFactory;

/**
 * The client side of a deployment, shared by {@code fedpeft client} and {@code fedpeft node}: one
 * process hosting one or more clients of the population, each a {@link PeftClient} (the
 * simulation's client) behind its own {@link ClientNode} stream, all sharing the frozen model and
 * the {@code --state} store. A client's data is a {@link Share}: its share of the config's data, or
 * examples of the user's own file, mapped to the server's labels when the server welcomes it.
 */
final class ClientHost {

  /**
   * When {@code client} and {@code node} end, for their --help: the cases {@link ClientHost}'s run
   * loop ends on.
   */
  static final String RUNS_UNTIL =
      "It runs until the server finishes the run (exit 0); until a client stops for good (exit 2,"
          + " saying why: it refuses the server's run (its data, or its model or"
          + " model.precision, does not fit it), the server refuses it, the server's"
          + " certificate is not signed by its CA or does not name the address dialled, it and the"
          + " server disagree on TLS, or another process took its identity); or until stopped"
          + " (Ctrl-C).";

  private ClientHost() {}

  /** One hosted client's data. */
  interface Share {
    /** The client's id in the population. */
    String id();

    /** What the data is, for the start-up line. */
    String describe();

    /**
     * The client's data for the server's run, checked against the run's labels.
     *
     * @throws DataFormatException naming the file and line of an example whose label the run lacks
     * @throws UserInputException if the data cannot serve the run
     */
    ClientData forRun(RunInfo run);
  }

  /**
   * A client's share of the config's data, built exactly as {@code simulate} builds it ({@link
   * Population}); the server's labels must equal the config's.
   */
  static Share fromConfig(ClientData data, List<String> labels, String source) {
    return new Share() {
      @Override
      public String id() {
        return data.id();
      }

      @Override
      public String describe() {
        return data.train().size()
            + " training and "
            + data.holdout().size()
            + " held-out examples of "
            + source;
      }

      @Override
      public ClientData forRun(RunInfo run) {
        String expected = run.clientData().get(data.id());
        String digest = expected == null ? null : data.digest();
        if (expected != null && !expected.equals(digest)) {
          throw new UserInputException(
              data.id()
                  + ": the server's run gives this client other examples than this client's"
                  + " config does ("
                  + source
                  + "; digest "
                  + digest
                  + ", the server's "
                  + expected
                  + "): client and server must read the same data file with the same seed,"
                  + " clients, data.* keys (partition, split, max_train, client_holdout) and model");
        }
        if (run.labels() != null && !run.labels().equals(labels)) {
          throw new UserInputException(
              "the server's run has the labels "
                  + abbreviate(run.labels())
                  + " but this client's data ("
                  + source
                  + ") has "
                  + abbreviate(labels)
                  + ": client and server must read the same data, or give the client its own"
                  + " file with --data");
        }
        return data;
      }
    };
  }

  /**
   * A client whose data is examples of the user's own file: all its examples, in file order, stand
   * for the client's share of the training split under a natural partition; the share is split into
   * training and held-out examples as {@code simulate} splits a share ({@link
   * Population#clientData}). Labels map to the server's class indices when it welcomes the client.
   *
   * @param id the client's id in the population
   * @param index the client's index in the population
   * @param data the examples, read from a file (their labels are still the file's own)
   * @param tokens the examples' tokens, in the same order
   */
  static Share fromFile(
      String id, int index, Dataset data, long[][] tokens, SimulationConfig config) {
    Path file = data.source().orElseThrow();
    return new Share() {
      private List<String> mappedFor;
      private ClientData mapped;

      @Override
      public String id() {
        return id;
      }

      @Override
      public String describe() {
        return data.size() + " " + Main.plural(data.size(), "example") + " of " + file;
      }

      @Override
      public synchronized ClientData forRun(RunInfo run) {
        if (run.labels() == null) {
          throw new UserInputException(
              "the server did not say which labels its run has, so the labels of "
                  + file
                  + " cannot be mapped to its classes");
        }
        if (run.tasks().size() > 1) {
          throw new UserInputException(
              "the server's run has "
                  + run.tasks().size()
                  + " tasks "
                  + abbreviate(run.tasks())
                  + "; a client with its own file (--data "
                  + file
                  + ") serves single-task runs only: give it its share of the config's data"
                  + " instead");
        }
        if (run.labels().equals(mappedFor)) {
          return mapped;
        }
        requireRunLabels(data, run.labels());
        Dataset relabelled = data.withLabels(run.labels());
        EncodedExamples encoded = new EncodedExamples(tokens, relabelled.labelIndices());
        mapped = Population.clientData(id, index, encoded, config);
        mappedFor = run.labels();
        return mapped;
      }
    };
  }

  /**
   * Throws a {@link DataFormatException} at the first example of {@code data} whose label is not
   * one of the run's, counting and locating the others.
   */
  static void requireRunLabels(Dataset data, List<String> runLabels) {
    LabelCheck check = LabelCheck.of(runLabels, data);
    if (check.ok()) {
      return;
    }
    List<LabelCheck.UnknownLabel> bad = check.unknown();
    LabelCheck.UnknownLabel first = bad.get(0);
    StringBuilder reason =
        new StringBuilder("label \"")
            .append(first.label())
            .append("\" is not a label of the server's run, whose ")
            .append(runLabels.size())
            .append(runLabels.size() == 1 ? " label is " : " labels are ")
            .append(abbreviate(runLabels));
    if (bad.size() > 1) {
      reason
          .append("; ")
          .append(bad.size() - 1)
          .append(" more such ")
          .append(Main.plural(bad.size() - 1, "example"))
          .append(" at ");
      int shown = Math.min(bad.size() - 1, 5);
      for (int k = 1; k <= shown; k++) {
        reason.append(k > 1 ? ", " : "").append(bad.get(k).location());
      }
      if (bad.size() - 1 > shown) {
        reason.append(", ...");
      }
    }
    throw new DataFormatException(data.source().orElseThrow(), first.line(), reason.toString());
  }

  /**
   * Requires that the examples of a client's file name at most one client: a file holds one
   * client's data.
   *
   * @throws DataFormatException at the first example that names another client than the first
   */
  static void requireOneClient(Dataset data) {
    String first = null;
    int firstAt = -1;
    for (int i = 0; i < data.size(); i++) {
      Example e = data.example(i);
      if (e.client() == null) {
        continue;
      }
      if (first == null) {
        first = e.client();
        firstAt = i;
      } else if (!first.equals(e.client())) {
        throw new DataFormatException(
            data.source().orElseThrow(),
            data.sourceLine(i).orElse(1),
            "client \""
                + e.client()
                + "\", but "
                + data.location(firstAt)
                + " names client \""
                + first
                + "\": a client's file holds one client's examples (split the file, or host"
                + " several clients with '"
                + Launcher.command("node --data FILE --clients N")
                + "')");
      }
    }
  }

  /** The population's ids for a config: {@code client-0} ... (zero-padded). */
  static List<String> populationIds(SimulationConfig config) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < config.clients(); i++) {
      ids.add(Population.clientId(i, config.clients()));
    }
    return ids;
  }

  /** The index of {@code id} in the population, or a user error naming the population's range. */
  static int indexOf(String id, List<String> population) {
    int index = population.indexOf(id);
    if (index < 0) {
      throw new UserInputException(
          "no client '" + id + "' in this config's " + describe(population));
    }
    return index;
  }

  /** "population of N (first ... last)", as the refusals of a client outside it name it. */
  static String describe(List<String> population) {
    return "population of "
        + population.size()
        + " ("
        + population.get(0)
        + " ... "
        + population.get(population.size() - 1)
        + ")";
  }

  /**
   * Connects every share's client to the server and serves requests until the server finishes the
   * run (exit 0), a client stops for good (a {@link UserInputException} naming why: it refuses the
   * server's run because its data or its frozen model does not fit it, the server refuses it, its
   * CA did not sign the server's certificate, the certificate does not name the address dialled,
   * client and server disagree on TLS (one runs with {@code --insecure}), or another process took
   * its identity), or the process is stopped.
   *
   * @param tls each client's TLS files (null values: plaintext); clients with equal files share one
   *     connection
   * @param backoff the delays between each client's attempts to connect
   */
  static int serve(
      List<Share> shares,
      ClientModels models,
      ClientStateStore store,
      SimulationConfig config,
      InetSocketAddress address,
      String server,
      Map<String, TlsFiles> tls,
      ClientNode.Backoff backoff,
      PrintWriter out,
      PrintWriter err)
      throws java.io.IOException, InterruptedException {
    List<ClientNode> nodes = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    Map<TlsFiles, ManagedChannel> byFiles = new java.util.HashMap<>();
    Thread hook =
        new Thread(
            () -> {
              synchronized (nodes) {
                nodes.forEach(ClientNode::close);
              }
            },
            "fedpeft-client-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    BlockingQueue<ClientNode> stopped = new ArrayBlockingQueue<>(shares.size());
    Consumer<TransportEvent> console = NetworkOptions.console(err);
    try {
      for (Share share : shares) {
        String id = share.id();
        AtomicReference<Built> client = new AtomicReference<>();
        // Clients with the same TLS files (a node certificate) share one connection.
        ManagedChannel channel = byFiles.get(tls.get(id));
        if (channel == null) {
          channel = Transport.channel(address.getHostString(), address.getPort(), tls.get(id));
          channels.add(channel);
          byFiles.put(tls.get(id), channel);
        }
        ClientNode node =
            new ClientNode(
                channel,
                pausable(id, client, err),
                ClientNode.Options.defaults(id)
                    .withBackoff(backoff)
                    // A node restarted with LOCAL state of a run names it: that run's server, if
                    // the run is over, tells it so.
                    .withJoinedRun(store.boundRun())
                    .withOnWelcome(
                        run -> {
                          // Before anything is bound to the run: a model that would refuse each
                          // of its rounds refuses the run now, and the node stops.
                          models.requireServes(run.baseModel(), id);
                          if (run.run() != null) {
                            try {
                              store.bindTo(run.run());
                            } catch (java.io.IOException e) {
                              throw new UserInputException(e.getMessage(), e);
                            }
                          }
                          ClientData data = share.forRun(run);
                          Built current = client.get();
                          if (current == null || current.data() != data) {
                            client.set(
                                new Built(
                                    data,
                                    new PeftClient(
                                        data,
                                        models,
                                        store,
                                        StrategyFactory.sampleNoise(config, data.index()),
                                        config.threadsPerClient())));
                          }
                        })
                    .withListener(console));
        synchronized (nodes) {
          nodes.add(node);
        }
        synchronized (err) {
          err.printf(
              "client %s: %s; connecting to %s (%s)%n",
              id, share.describe(), server, tls.get(id) == null ? "PLAINTEXT" : "mutual TLS");
        }
        node.start();
        Thread waiter =
            new Thread(
                () -> {
                  try {
                    node.awaitFinished();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  stopped.add(node);
                },
                "fedpeft-client-wait-" + id);
        waiter.setDaemon(true);
        waiter.start();
      }
      for (int i = 0; i < shares.size(); i++) {
        ClientNode node = stopped.take();
        int k = nodes.indexOf(node);
        if (node.serverNotTrusted()) {
          throw new UserInputException(untrustedServer(server, tls.get(shares.get(k).id())));
        }
        if (node.refusal() != null) {
          throw new UserInputException(node.refusal());
        }
        String finished = node.awaitFinished();
        if (finished == null) {
          // Closed by the shutdown hook (Ctrl-C, SIGTERM): the JVM is on its way out.
          synchronized (err) {
            err.println(
                "client "
                    + shares.get(k).id()
                    + ": stopped before the run finished; started again with the same --state,"
                    + " it rejoins the run");
          }
        } else {
          out.println("client " + shares.get(k).id() + ": " + finished);
        }
      }
    } finally {
      synchronized (nodes) {
        nodes.forEach(ClientNode::close);
      }
      channels.forEach(ManagedChannel::shutdownNow);
      ShutdownHooks.remove(hook); // false if the JVM is exiting: the hook runs anyway
    }
    return 0;
  }

  /**
   * What to tell a client whose own TLS check rejected the server's certificate: it does not chain
   * to the CA the client trusts, which a retry cannot change. A {@code ca.crt} names its folder, as
   * {@code --certs} gives it (a folder of another {@code fedpeft certs} run than the server's).
   */
  static String untrustedServer(String server, TlsFiles files) {
    Path ca = files.caCertificate();
    String head =
        "the server's certificate (at "
            + server
            + ") is not signed by "
            + ca
            + ", the CA this client trusts, so it cannot connect";
    if (ca.getFileName().toString().equals(CertificateGenerator.CA_CERT)
        && ca.getParent() != null) {
      return head
          + ": the folder "
          + ca.getParent()
          + " comes from another 'fedpeft certs' run than the server's certificate; give this"
          + " client ca.crt and its own certificate and key from the folder that holds the"
          + " server's certificate";
    }
    return head + ": give the CA certificate that signed the server's certificate";
  }

  /**
   * The client a node runs: the current {@link PeftClient} (built when the server welcomed the
   * node); a test can hold the process when a round's training starts ({@code
   * -Dfedpeft.pause=client-fit-round-N}), to kill it there. A server that names its frozen model
   * when it welcomes the node has it refuse the run then ({@link ClientModels#requireServes}); with
   * a server that does not, a round the client refuses because its frozen model is not the server's
   * ({@link BaseModel.ModelMismatch}) fails at the server as any failure does, and is also printed
   * on {@code err}, where the node's operator sees what to change.
   */
  private static ClientApp pausable(String id, AtomicReference<Built> client, PrintWriter err) {
    return new ClientApp() {
      @Override
      public ClientUpdate fit(FitInstructions ins) {
        PausePoint.reach("client-fit-round-" + ins.round());
        try {
          return current().fit(ins);
        } catch (BaseModel.ModelMismatch e) {
          throw printed(e);
        }
      }

      @Override
      public EvaluateResult evaluate(EvaluateInstructions ins) {
        try {
          return current().evaluate(ins);
        } catch (BaseModel.ModelMismatch e) {
          throw printed(e);
        }
      }

      private BaseModel.ModelMismatch printed(BaseModel.ModelMismatch e) {
        synchronized (err) {
          err.println(e.getMessage());
        }
        return e;
      }

      private PeftClient current() {
        return Objects.requireNonNull(client.get(), () -> "client " + id + " has no data yet")
            .client();
      }
    };
  }

  /** A client built for the data of the server's run. */
  private record Built(ClientData data, PeftClient client) {}

  /** At most 10 values of a list, for messages. */
  static String abbreviate(List<String> values) {
    if (values.size() <= 10) {
      return LabelCheck.show(values);
    }
    String first = LabelCheck.show(values.subList(0, 10));
    return first.substring(0, first.length() - 1) + ", ... (" + values.size() + " in all)]";
  }
}
