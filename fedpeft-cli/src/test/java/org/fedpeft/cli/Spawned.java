package org.fedpeft.cli;

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

  private Spawned(Process process, String name) {
    this.process = process;
    this.name = name;
    Thread reader =
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
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-Dai.djl.offline=true");
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.fedpeft.cli.Main"));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
    pb.environment().putAll(environment);
    pb.redirectErrorStream(true);
    return new Spawned(pb.start(), name);
  }

  /**
   * Starts {@code fedpeft server CONFIG --out OUT --listen ADDRESS --certs CERTS} as a process
   * named "server".
   */
  static Spawned server(Path config, Path out, String address, Path certs) throws IOException {
    return fedpeft(
        "server",
        Map.of(),
        List.of(
            "server",
            config.toString(),
            "--out",
            out.toString(),
            "--listen",
            address,
            "--certs",
            certs.toString()));
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

  /** Waits for the process to end and returns its exit code. */
  int waitFor() throws InterruptedException {
    return process.waitFor();
  }

  /** Everything it printed so far. */
  String output() {
    return log.toString();
  }

  /** SIGKILL (on Linux), and waits for it to end. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /**
   * SIGTERM (as Ctrl-C, its shutdown hooks run), and waits for it to end; returns its exit code.
   */
  int terminate() throws InterruptedException {
    process.destroy();
    return process.waitFor();
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
