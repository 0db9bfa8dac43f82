package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The deployment of the process tests that kill a client ({@link ClientDroppedCliTest}, {@link
 * RoundFailedCliTest}): a tiny model, 48 examples of 3 topics split iid over 2 clients that both
 * take part in every round, a run config, and certificates for client-0 and client-1. Its servers
 * listen on a port of 127.0.0.1 the kernel picks ({@link Spawned#ANY_PORT}), which its clients then
 * use.
 */
final class TwoClientDeployment {

  /** The run config (TOML). */
  final Path config;

  /** The certificates folder (CA, server, client-0, client-1). */
  final Path certs;

  /**
   * The address of the server last started by {@link #server}, once it listens; before that,
   * 127.0.0.1:1, for commands refused before they connect: nothing listens on port 1 (a privileged
   * port no test binds; test servers bind {@link Spawned#ANY_PORT}), so a command that wrongly
   * connects is refused at once rather than reaching whatever listens on a fixed port such as 7443.
   */
  volatile String address = "127.0.0.1:1";

  private final Path dir;

  private TwoClientDeployment(Path dir, Path config, Path certs) {
    this.dir = dir;
    this.config = config;
    this.certs = certs;
  }

  /**
   * Writes the model, data, config and certificates into {@code dir}.
   *
   * @param rounds the run's rounds
   * @param minClients its {@code server.min_clients}
   */
  static TwoClientDeployment create(Path dir, int rounds, int minClients) throws Exception {
    Path model = CliRun.tinyModelFolder(dir.resolve("tiny-model"));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      lines.add(
          "{\"text\": \"topic " + (i % 3) + " item " + i + "\", \"label\": \"t" + (i % 3) + "\"}");
    }
    Path data = Files.write(dir.resolve("data.jsonl"), lines);
    Path config = dir.resolve("run.toml");
    Files.writeString(
        config,
        """
        seed = 3
        rounds = %d
        clients = 2
        clients_per_round = 2

        [data]
        file = "%s"
        partition = "iid"
        max_eval = 12

        [model]
        name = "%s"

        [adapter]
        rank = 2
        targets = ["query"]

        [client]
        local_steps = 1
        batch_size = 8

        [server]
        min_clients = %d
        """
            .formatted(
                rounds,
                data.toString().replace("\\", "\\\\"),
                model.toString().replace("\\", "\\\\"),
                minClients));
    Path certs = dir.resolve("certs");
    assertEquals(
        0, CliRun.run("certs", "--out", certs.toString(), "--clients", "client-0,client-1").code());
    return new TwoClientDeployment(dir, config, certs);
  }

  /** A server process of the run, writing into {@code out}, once it listens ({@link #address}). */
  Spawned server(Path out) throws Exception {
    return server("server", Spawned.serverArgs(config, out, certs));
  }

  /**
   * The run to its end in this JVM: its server writing into {@code out}, listening on {@link
   * Spawned#ANY_PORT}, and both clients connecting to the address it names, each with its state in
   * {@code states/<id>}. Checks nothing of what they return.
   *
   * @return where the server listened, and the server's and the clients' results
   */
  InProcessRun runInProcess(Path out, Path states) throws Exception {
    return runInProcess(Spawned.serverArgs(config, out, certs), states::resolve);
  }

  /**
   * As {@link #runInProcess(Path, Path)} with the server command {@code serverArgs} (listening on
   * {@link Spawned#ANY_PORT}), each client's state in {@code state.apply(id)}.
   */
  InProcessRun runInProcess(List<String> serverArgs, Function<String, Path> state)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      CliRun.Serving serving = CliRun.server(pool, serverArgs);
      String listened = serving.address();
      List<Future<CliRun.Result>> running = new ArrayList<>();
      for (String id : List.of("client-0", "client-1")) {
        running.add(
            pool.submit(
                () ->
                    CliRun.run(Spawned.clientArgs(config, listened, id, certs, state.apply(id)))));
      }
      CliRun.Result server = serving.result().get(5, TimeUnit.MINUTES);
      List<CliRun.Result> clients = new ArrayList<>();
      for (Future<CliRun.Result> f : running) {
        clients.add(f.get(2, TimeUnit.MINUTES));
      }
      return new InProcessRun(listened, server, clients);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * What {@link #runInProcess} returns.
   *
   * @param address where the server listened, as its line named it
   * @param server the server's result
   * @param clients client-0's and client-1's results
   */
  record InProcessRun(String address, CliRun.Result server, List<CliRun.Result> clients) {}

  /**
   * The arguments of {@code server --resume out} listening on {@link Spawned#ANY_PORT} with the
   * run's certificates, then {@code more}.
   */
  List<String> resumeOnAnyPort(Path out, String... more) {
    return Spawned.resumeArgs(out, Spawned.ANY_PORT, certs, more);
  }

  /**
   * {@code fedpeft ARGS}, a server command listening on {@link Spawned#ANY_PORT}, as a process
   * named {@code name}, once it listens; {@link #address} is then its address.
   */
  Spawned server(String name, List<String> args) throws Exception {
    return server(name, Map.of(), args);
  }

  /** As {@link #server(String, List)}, with system properties ({@code fedpeft.pause}, ...). */
  Spawned server(String name, Map<String, String> properties, List<String> args) throws Exception {
    Spawned s = Spawned.server(name, properties, args);
    address = s.address();
    return s;
  }

  /**
   * A client process of the run, with its state under the folder, the system properties and then
   * {@code more} options.
   */
  Spawned client(String id, Map<String, String> properties, String... more) throws Exception {
    return Spawned.client(id, properties, config, address, id, certs, state(id), more);
  }

  /** The state folder of client {@code id} in this deployment's folder. */
  Path state(String id) {
    return dir.resolve("state-" + id);
  }
}
