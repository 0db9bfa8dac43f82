package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A {@code fedpeft} command in its own JVM (this test's class path), with its standard output and
 * error merged and read line by line, so a test can wait for a line (an event the process prints)
 * instead of for time.
 */
final class Spawned implements AutoCloseable {

  private final Process process;
  private final String name;
  private final LinkedBlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();
  private final StringBuffer log = new StringBuffer();
  private final Thread reader;

  private Spawned(Process process, String name) {
    this.process = process;
    this.name = name;
    reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  log.append(line).append('\n');
                  lines.add(Optional.of(line));
                }
              } catch (IOException e) {
                log.append("(output unreadable: ").append(e).append(")\n");
              } finally {
                lines.add(Optional.empty());
              }
            },
            "spawned-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts {@code fedpeft ARGS} in a new JVM.
   *
   * @param properties system properties for it ({@code fedpeft.pause}, ...)
   */
  static Spawned fedpeft(String name, Map<String, String> properties, List<String> args)
      throws IOException {
    return fedpeft(name, properties, Map.of(), args);
  }

  /**
   * Starts {@code fedpeft ARGS} in a new JVM with {@code environment} added to this one's ({@code
   * LC_ALL}, ...).
   */
  static Spawned fedpeft(
      String name,
      Map<String, String> properties,
      Map<String, String> environment,
      List<String> args)
      throws IOException {
    return fedpeftIn(null, name, properties, environment, args);
  }

  /**
   * Starts {@code fedpeft ARGS} in a new JVM with {@code environment} added to this one's, in the
   * working directory {@code directory} (null: this one's).
   */
  static Spawned fedpeftIn(
      Path directory,
      String name,
      Map<String, String> properties,
      Map<String, String> environment,
      List<String> args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    // C1 only: these processes live seconds, and most of their processor time went to compiling
    // with C2 code that ran a few times (a tiny run's client took half the time with C1 only);
    // Java's floating point is the same in every tier, so their results are those of C2.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("--enable-native-access=ALL-UNNAMED"); // no System.load warning on Java 24+
    command.add("-Dai.djl.offline=true");
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.fedpeft.cli.Main"));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command);
    if (directory != null) {
      pb.directory(directory.toFile());
    }
    pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
    pb.environment().putAll(environment);
    pb.redirectErrorStream(true);
    return new Spawned(pb.start(), name);
  }

  /** What a server prints once it listens, followed by its address (HOST:PORT). */
  static final String LISTENING = "server: listening on ";

  /**
   * The client option that caps a client's wait between attempts to connect at 1 s (the default cap
   * is 30 s), for the tests whose clients reconnect to a restarted server: they come back within a
   * second of the server listening again, instead of after a wait of up to 30 s.
   */
  static final List<String> RECONNECT_QUICKLY = List.of("--reconnect-max-seconds", "1");

  /** 127.0.0.1 and port 0: a server given it binds a free port the kernel picks, with no race. */
  static final String ANY_PORT = "127.0.0.1:0";

  /**
   * Starts {@code fedpeft server CONFIG --out OUT --listen 127.0.0.1:0 --certs CERTS} as a process
   * named "server" and waits until it listens; {@link #address} is then the port it bound.
   */
  static Spawned server(Path config, Path out, Path certs) throws Exception {
    return server("server", Map.of(), serverArgs(config, out, certs));
  }

  /**
   * The arguments of {@code fedpeft server CONFIG --out OUT --listen 127.0.0.1:0 --certs CERTS},
   * then {@code more}.
   */
  static List<String> serverArgs(Path config, Path out, Path certs, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "server",
                config.toString(),
                "--out",
                out.toString(),
                "--listen",
                ANY_PORT,
                "--certs",
                certs.toString()));
    a.addAll(List.of(more));
    return a;
  }

  /**
   * The arguments of {@code fedpeft server --resume OUT --listen LISTEN --certs CERTS}, then {@code
   * more}.
   */
  static List<String> resumeArgs(Path out, String listen, Path certs, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "server",
                "--resume",
                out.toString(),
                "--listen",
                listen,
                "--certs",
                certs.toString()));
    a.addAll(List.of(more));
    return a;
  }

  /**
   * Starts {@code fedpeft ARGS}, a {@code server} command, and waits until it prints that it
   * listens; {@link #address} is then the address it printed. ARGS should listen on {@link
   * #ANY_PORT}: the kernel then picks a free port when the server binds, while a port picked before
   * (a socket opened and closed to learn a free port) can be taken by another process before the
   * server binds it. A resumed server given the port of the killed server it replaces (which its
   * clients reconnect to) binds it itself, trying again while it is still in use ({@code
   * org.fedpeft.grpc.BindRetry}).
   *
   * @throws AssertionError if the process ends before it listens (with its output)
   */
  static Spawned server(String name, Map<String, String> properties, List<String> args)
      throws Exception {
    Spawned s = fedpeft(name, properties, args);
    s.awaitListening();
    return s;
  }

  /** Whether a server's output says it could not listen as its address was in use. */
  static boolean addressInUse(String output) {
    return output.contains("cannot listen on") && output.contains("in use");
  }

  /**
   * The address (HOST:PORT) in a server's {@link #LISTENING} line.
   *
   * @throws AssertionError if the line has none
   */
  static String listeningAddress(String line) {
    int at = line.indexOf(LISTENING);
    if (at < 0) {
      throw new AssertionError("no '" + LISTENING + "' in: " + line);
    }
    at += LISTENING.length();
    int end = line.indexOf(' ', at);
    return end < 0 ? line.substring(at) : line.substring(at, end);
  }

  private volatile String address;

  /**
   * Reads output until the server says it listens, and returns (and keeps for {@link #address}) the
   * address it names.
   */
  String awaitListening() throws InterruptedException {
    address = listeningAddress(awaitLine(LISTENING));
    return address;
  }

  /** The address this server listens on, from its {@link #LISTENING} line. */
  String address() {
    if (address == null) {
      throw new IllegalStateException(name + " has not said that it listens");
    }
    return address;
  }

  /**
   * The arguments of {@code fedpeft client CONFIG --server ADDRESS --id ID --certs CERTS --state
   * STATE}, then {@code more}.
   */
  static List<String> clientArgs(
      Path config, String address, String id, Path certs, Path state, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "client",
                config.toString(),
                "--server",
                address,
                "--id",
                id,
                "--certs",
                certs.toString(),
                "--state",
                state.toString()));
    a.addAll(List.of(more));
    return a;
  }

  /**
   * Starts {@link #clientArgs} as a process named {@code name}, with system properties {@code
   * properties}.
   */
  static Spawned client(
      String name,
      Map<String, String> properties,
      Path config,
      String address,
      String id,
      Path certs,
      Path state,
      String... more)
      throws IOException {
    return fedpeft(name, properties, clientArgs(config, address, id, certs, state, more));
  }

  /**
   * Starts {@code fedpeft node CONFIG --server ADDRESS --clients CLIENTS --certs CERTS --state
   * STATE}, then {@code more}, as a process named "node".
   */
  static Spawned node(
      Path config, String address, int clients, Path certs, Path state, String... more)
      throws IOException {
    return node(Map.of(), config, address, clients, certs, state, more);
  }

  /** As {@link #node(Path, String, int, Path, Path, String...)}, with system properties. */
  static Spawned node(
      Map<String, String> properties,
      Path config,
      String address,
      int clients,
      Path certs,
      Path state,
      String... more)
      throws IOException {
    List<String> a =
        new ArrayList<>(
            List.of(
                "node",
                config.toString(),
                "--server",
                address,
                "--clients",
                String.valueOf(clients),
                "--certs",
                certs.toString(),
                "--state",
                state.toString()));
    a.addAll(List.of(more));
    return fedpeft("node", properties, a);
  }

  /**
   * Runs a deployment to its end: {@link #server(Path, Path, Path)} into {@code out}, then {@code
   * clients} client processes {@code client-0 ..} with their states in {@code states}{@code
   * /state-K}; asserts that every process exits 0 (with its output).
   */
  static void runDeployment(Path config, Path out, Path certs, int clients, Path states)
      throws Exception {
    List<Spawned> started = new ArrayList<>();
    try (Spawned server = server(config, out, certs)) {
      for (int k = 0; k < clients; k++) {
        started.add(
            client(
                "client-" + k,
                Map.of(),
                config,
                server.address(),
                "client-" + k,
                certs,
                states.resolve("state-" + k)));
      }
      assertEquals(0, server.waitFor(), server.output());
      for (Spawned c : started) {
        assertEquals(0, c.waitFor(), c.output());
      }
    } finally {
      started.forEach(Spawned::close);
    }
  }

  /**
   * Reads output until a line contains {@code text}, and returns that line.
   *
   * @throws AssertionError if the process ends first (with its output)
   */
  String awaitLine(String text) throws InterruptedException {
    while (true) {
      Optional<String> line = lines.take();
      if (line.isEmpty()) {
        lines.add(line); // later calls see the end too
        throw new AssertionError(
            name + " ended without printing '" + text + "'; its output:\n" + log);
      }
      if (line.get().contains(text)) {
        return line.get();
      }
    }
  }

  /**
   * The first line printed so far that contains {@code text}: a line before one that {@link
   * #awaitLine} (or {@link #server}) waited for, which that wait has read.
   *
   * @throws AssertionError if none does (with the output)
   */
  String printedLine(String text) {
    String printed = log.toString();
    return printed
        .lines()
        .filter(l -> l.contains(text))
        .findFirst()
        .orElseThrow(
            () ->
                new AssertionError(
                    name + " did not print '" + text + "'; its output:\n" + printed));
  }

  /**
   * Waits for the process to end, and for its output to be read to the end (so that {@link #output}
   * then holds all of it), and returns its exit code.
   */
  int waitFor() throws InterruptedException {
    int code = process.waitFor();
    reader.join();
    return code;
  }

  /** Its standard input, a pipe: what is written there (and flushed) reaches it at once. */
  java.io.OutputStream stdin() {
    return process.getOutputStream();
  }

  /** Its process id. */
  long pid() {
    return process.pid();
  }

  /** Everything it printed so far. */
  String output() {
    return log.toString();
  }

  /**
   * SIGKILL (on Linux), and waits for it to end ({@link #waitFor}). Sent through its {@link
   * ProcessHandle}: {@link Process#destroyForcibly} would also close this side of its output pipe,
   * and lines it printed last could be lost.
   */
  void kill() throws InterruptedException {
    process.toHandle().destroyForcibly();
    waitFor();
  }

  /**
   * SIGTERM (as Ctrl-C, its shutdown hooks run), and waits for it to end ({@link #waitFor});
   * returns its exit code. Sent through its {@link ProcessHandle}, as {@link #kill}, so that what
   * its shutdown hooks print is read.
   */
  int terminate() throws InterruptedException {
    process.toHandle().destroy();
    return waitFor();
  }

  /** Kills the process if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
