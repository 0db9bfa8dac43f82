package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user reads on a two-client deployment on loopback ({@link TwoClientDeployment}, two
 * rounds) and its simulation, checked against the run's files.
 *
 * <ol>
 *   <li>A server's listening line, its {@code network: connected} lines and the clients' {@code
 *       welcomed ... to run ...} name the run's {@code run_id} (manifest.json), which a resumed
 *       server keeps, not the server process's tag on its messages, new in each process.
 *   <li>A client whose files come from another CA says why in one short line, without the
 *       transport's chain of causes (Netty's channel pipeline, the TLS engine's class names).
 *   <li>The start lines of {@code simulate} and {@code server} name the strategy and, when one is
 *       set, the server optimiser.
 *   <li>After a resume, the line of the checkpointed round the run releases again is marked {@code
 *       (from the checkpoint)}, in the server's round lines and {@code simulate}'s bar.
 *   <li>The resume of a finished run whose report.html is a folder is refused, naming the path
 *       ({@code simulate} and {@code server}).
 * </ol>
 */
class DeploymentLinesCliTest {

  @TempDir static Path tmp;

  static TwoClientDeployment deployment;

  private final long interval = ProgressBar.lineIntervalNanos;

  @BeforeAll
  static void deployment() throws Exception {
    deployment = TwoClientDeployment.create(tmp, 2, 1);
  }

  @AfterEach
  void restoreInterval() {
    ProgressBar.lineIntervalNanos = interval;
  }

  @Test
  void aResumedServerNamesTheRunIdAndMarksTheRoundItReleasesFromTheCheckpoint() throws Exception {
    TwoClientDeployment d = deployment;
    Path out = tmp.resolve("deployed");
    String point = "round-2-before-checkpoint";
    ExecutorService pool = Executors.newFixedThreadPool(2);
    String first;
    CliRun.Result resumed;
    List<CliRun.Result> clients = new ArrayList<>();
    try (Spawned killed =
        d.server(
            "server",
            Map.of(PausePoint.PROPERTY, point),
            Spawned.serverArgs(d.config, out, d.certs))) {
      first = killed.printedLine(Spawned.LISTENING);
      List<Future<CliRun.Result>> running = new ArrayList<>();
      for (String id : List.of("client-0", "client-1")) {
        running.add(
            pool.submit(
                () ->
                    CliRun.run(
                        Spawned.clientArgs(
                            d.config,
                            d.address,
                            id,
                            d.certs,
                            tmp.resolve("state-resumed-" + id),
                            Spawned.RECONNECT_QUICKLY.toArray(new String[0])))));
      }
      killed.awaitLine(PausePoint.message(point));
      assertTrue(killed.output().contains("round 1: 2/2 clients"), killed.output());
      killed.kill();
      resumed = CliRun.run(Spawned.resumeArgs(out, d.address, d.certs));
      for (Future<CliRun.Result> f : running) {
        clients.add(f.get(2, TimeUnit.MINUTES));
      }
      String runId = JsonFiles.readObject(out.resolve("manifest.json")).get("run_id").getAsString();
      assertEquals(0, resumed.code(), resumed.err());
      // 1: both servers' listening lines and network lines, and the clients' welcomes, name the
      // run_id, which both processes share.
      assertTrue(first.contains(", run " + runId + "; waiting for 2 of 2 nodes"), first);
      assertTrue(
          resumed.err().contains("(mutual TLS), run " + runId + "; waiting for 2 of 2 nodes"),
          resumed.err());
      assertTrue(killed.output().contains("connected client-0: connected, run " + runId));
      assertTrue(resumed.err().contains("connected client-1: connected, run " + runId));
      for (CliRun.Result c : clients) {
        assertEquals(0, c.code(), c.err());
        List<String> welcomed = c.err().lines().filter(l -> l.contains("welcomed as")).toList();
        assertEquals(2, welcomed.size(), c.err());
        for (String w : welcomed) {
          assertTrue(w.endsWith("' to run " + runId), w);
        }
      }
      // 4: the round of the checkpoint, released again, is marked; round 2 is not.
      assertTrue(resumed.err().contains("resuming " + out + " after round 1"), resumed.err());
      assertTrue(
          resumed.err().contains("\nround 1 (from the checkpoint): 2/2 clients\n"), resumed.err());
      assertFalse(resumed.err().contains("round 1: "), resumed.err());
      assertTrue(resumed.err().contains("\nround 2: 2/2 clients, accuracy "), resumed.err());
    } finally {
      pool.shutdownNow();
    }
    // 4: simulate's bar, killed at the same point and resumed, marks the same round alike.
    Path sim = tmp.resolve("simulated");
    try (Spawned s =
        Spawned.fedpeft(
            "simulate",
            Map.of(PausePoint.PROPERTY, point),
            List.of("simulate", d.config.toString(), "--out", sim.toString()))) {
      s.awaitLine(PausePoint.message(point));
      s.kill();
    }
    ProgressBar.lineIntervalNanos = 0; // a line at every update
    CliRun.Result again = CliRun.run("simulate", "--resume", sim.toString());
    assertEquals(0, again.code(), again.err());
    List<String> bars = again.err().lines().filter(l -> l.startsWith("rounds [")).toList();
    assertEquals(3, bars.size(), again.err());
    assertTrue(
        bars.get(1)
            .matches(
                "rounds \\[.*\\] 1/2 clients 2/2 loss [0-9.]+ acc - \\(from the checkpoint\\)  ETA .*"),
        bars.get(1));
    assertFalse(bars.get(2).contains("checkpoint"), bars.get(2));
    // the same run, metrics.jsonl without a repeated line
    Deployments.assertSameRun(sim, out);
  }

  @Test
  void aClientOfAnotherCaSaysSoInAShortLine() throws Exception {
    TwoClientDeployment d = deployment;
    Path other = Deployments.certs(tmp.resolve("other-certs"), List.of("client-0"));
    try (Spawned server =
        d.server("server", Spawned.serverArgs(d.config, tmp.resolve("other-ca-run"), d.certs))) {
      CliRun.Result r =
          CliRun.run(
              Spawned.clientArgs(
                  d.config, d.address, "client-0", other, tmp.resolve("state-other-ca")));
      assertEquals(2, r.code(), r.err());
      List<String> failed =
          r.err().lines().filter(l -> l.startsWith("network: connect_failed")).toList();
      assertEquals(
          List.of(
              "network: connect_failed client-0: the server's certificate is not signed by the CA"
                  + " this node trusts (its TLS check: unable to find valid certification path to"
                  + " requested target)"),
          failed,
          r.err());
      String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
      assertTrue(
          last.startsWith(
              "fedpeft client: the server's certificate (at "
                  + d.address
                  + ") is not signed by "
                  + other.resolve("ca.crt")),
          last);
      for (String raw : List.of("PKIX", "sun.security", "Channel Pipeline", "OpenSslEngine")) {
        assertFalse(r.err().contains(raw), r.err());
      }
      server.kill();
    }
  }

  @Test
  void theStartLinesNameTheServerOptimiser() throws Exception {
    TwoClientDeployment d = deployment;
    String[] fedAdam = {
      "--set", "server.optimizer=fedadam", "--set", "server.learning_rate=1e-2", "--set", "rounds=1"
    };
    String words = "fedit with server optimiser fedadam(lr=0.01, beta1=0.9, beta2=0.99, tau=0.001)";
    List<String> simulate =
        new ArrayList<>(
            List.of("simulate", d.config.toString(), "--out", tmp.resolve("fedadam").toString()));
    simulate.addAll(List.of(fedAdam));
    CliRun.Result sim = CliRun.run(simulate);
    assertEquals(0, sim.code(), sim.err());
    assertTrue(
        sim.err().lines().anyMatch(l -> l.startsWith("simulate: " + words + " on data.jsonl, 2")),
        sim.err());
    // the server says it in the same words, and the strategy of a plain run without an optimiser
    CliRun.Result served = serverWithoutNodes(d, tmp.resolve("fedadam-server"), fedAdam);
    assertEquals(2, served.code(), served.err());
    assertTrue(
        served.err().contains("labels [t0, t1, t2]; strategy " + words + "; evaluation: "),
        served.err());
    CliRun.Result plain = serverWithoutNodes(d, tmp.resolve("plain-server"));
    assertEquals(2, plain.code(), plain.err());
    assertTrue(plain.err().contains("; strategy fedit; evaluation: "), plain.err());
  }

  @Test
  void aFinishedRunWhoseReportIsAFolderIsRefusedNamingIt() throws Exception {
    TwoClientDeployment d = deployment;
    Path simulated = tmp.resolve("report-folder-simulated");
    Deployments.simulate(d.config, simulated);
    CliRun.Result sim = CliRun.run("simulate", "--resume", reportAsFolder(simulated).toString());
    assertEquals(2, sim.code(), sim.err());
    assertEquals("fedpeft simulate: " + refusal(simulated), sim.err().strip(), sim.err());
    assertEquals("", sim.out());
    // server --resume: refused alike, before it prints a result naming the report or listens
    Path deployed = tmp.resolve("report-folder-deployed");
    TwoClientDeployment.InProcessRun ran =
        d.runInProcess(deployed, tmp.resolve("report-folder-states"));
    assertEquals(0, ran.server().code(), ran.server().err());
    reportAsFolder(deployed);
    CliRun.Result server = CliRun.run(d.resumeOnAnyPort(deployed, "--wait-seconds", "0"));
    assertEquals(2, server.code(), server.err());
    assertEquals("fedpeft server: " + refusal(deployed), server.err().strip(), server.err());
    assertEquals("", server.out());
    assertTrue(Files.isDirectory(deployed.resolve(ReportWriter.FILE)));
  }

  /** Replaces the report.html of the finished run in {@code run} by an empty folder. */
  private static Path reportAsFolder(Path run) throws Exception {
    Path report = run.resolve(ReportWriter.FILE);
    Files.delete(report);
    Files.createDirectory(report);
    return run;
  }

  /** The refusal of a resume of the finished run in {@code run} whose report.html is a folder. */
  private static String refusal(Path run) {
    return run.resolve(ReportWriter.FILE)
        + " is a folder, not the report of the finished run in "
        + run
        + ": move it away (or delete it) and run this again, which writes the report";
  }

  /**
   * {@code server} of {@code d}'s config into {@code out} with {@code extra} arguments, waiting for
   * no node: it prints its start lines and stops (exit 2).
   */
  private static CliRun.Result serverWithoutNodes(
      TwoClientDeployment d, Path out, String... extra) {
    List<String> args = Spawned.serverArgs(d.config, out, d.certs, "--wait-seconds", "0");
    args.addAll(List.of(extra));
    return CliRun.run(args);
  }
}
