package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code server --resume} of a finished run, which tells the run's nodes that the run is over. It
 * listened before it wrote a missing report.html, so an address it could not listen on left the
 * report unwritten; a run killed after report.html and before its nodes were told was refused
 * ("nothing to resume"), its nodes reconnecting for ever; and it waited up to --wait-seconds (600
 * s) without saying how long or how to skip it. Now the report comes first, a taken address is
 * refused naming it, a finished run with its report is resumed to tell its nodes, and the listening
 * line says how long it waits and that Ctrl-C skips the wait (default 120 s). The finished run is
 * made by a one-round server run with two clients on threads of this JVM. On Ctrl-C the wait says
 * whom it told and where the report is.
 */
@Timeout(600)
class ServerFinishedResumeCliTest {

  @TempDir Path tmp;

  private TwoClientDeployment d;
  private Path out;
  private CliRun.Result ran;

  @BeforeEach
  void finishedRun() throws Exception {
    d = TwoClientDeployment.create(tmp, 1, 2);
    out = tmp.resolve("run");
    TwoClientDeployment.InProcessRun run = d.runInProcess(out, tmp.resolve("states"));
    ran = run.server();
    assertEquals(0, ran.code(), ran.err());
    for (CliRun.Result c : run.clients()) {
      assertEquals(0, c.code());
    }
    assertTrue(Files.exists(out.resolve(ReportWriter.FILE)));
  }

  @Test
  void aTakenAddressIsRefusedNamingItAfterTheMissingReportIsWritten() throws Exception {
    Files.delete(out.resolve(ReportWriter.FILE)); // killed after summary.json, before the report
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + taken.getLocalPort();
      CliRun.Result r =
          CliRun.run(
              "server",
              "--resume",
              out.toString(),
              "--listen",
              address,
              "--certs",
              d.certs.toString());
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().contains("cannot listen on " + address + ": "), r.err());
      assertTrue(r.err().contains("the run's report is written"), r.err());
      assertTrue(Files.isRegularFile(out.resolve(ReportWriter.FILE)), r.err());
      assertTrue(r.out().contains("report: " + out.resolve(ReportWriter.FILE)), r.out());
    }
  }

  @Test
  void aFinishedRunWithItsReportIsResumedToTellItsNodesAndSaysHowLongItWaits() {
    CliRun.Result r = CliRun.run(d.resumeOnAnyPort(out, "--wait-seconds", "0"));
    assertEquals(0, r.code(), r.err());
    assertFalse(r.err().contains("nothing to resume"), r.err());
    assertTrue(r.out().contains("report: " + out.resolve(ReportWriter.FILE)), r.out());
    // Leftovers, 5 December: the server ended with a shorter summary than simulate (no number of
    // test examples, no communication line); both print theirs through SimulateCommand.printResult,
    // the run and the resume of the finished run alike.
    String end = ran.out().replace(System.lineSeparator(), "\n");
    assertTrue(
        end.matches(
            "(?s)final accuracy: \\S+ \\(loss \\S+, \\d+ test examples?\\) after 1 round\n.*"),
        end);
    assertTrue(end.matches("(?s).*\ncommunication: [\\d,]+ bytes up, [\\d,]+ bytes down\n.*"), end);
    assertEquals(end, r.out().replace(System.lineSeparator(), "\n"));
    String flat = r.err().replaceAll("\\s+", " ");
    assertTrue(
        flat.contains(
            "the run is finished: telling 2 of 2 nodes [client-0, client-1] that it is over as they"
                + " connect, waiting up to 0 s (--wait-seconds; Ctrl-C skips the wait, the report"
                + " is written)"),
        r.err());
    assertTrue(flat.contains("did not connect within 0 s"), r.err());
  }

  /**
   * Ctrl-C (SIGTERM here, which runs the same shutdown hooks) during the wait said nothing; it now
   * says whom it told and where the report is. A process: the signal ends its JVM.
   */
  @Test
  void anInterruptedWaitSaysWhomItToldAndWhereTheReportIs() throws Exception {
    try (Spawned server = Spawned.fedpeft("resumed", Map.of(), d.resumeOnAnyPort(out))) {
      server.awaitLine("waiting up to 120 s (--wait-seconds; Ctrl-C skips the wait");
      server.terminate();
      String flat = server.output().replaceAll("\\s+", " ");
      assertTrue(
          flat.contains(
              "stopped waiting: told [] that the run is over; the others, if still running, are"
                  + " to be stopped by hand. The run's report is "
                  + out.resolve(ReportWriter.FILE)),
          server.output());
    }
  }

  /**
   * A client restarted with a --state folder that recorded no run (a new one) cannot show that it
   * took part in the run, so the finished run's server does not tell it that the run is over: it
   * keeps trying. Its console said so on a line per attempt, for as long as it ran, in the
   * transport's words ("the stream failed: UNAVAILABLE: run ... is over and node 'client-0' has
   * joined no run yet: it is not told to stop, and keeps trying to connect"), which did not say
   * what ends it. It now says once why it keeps trying and what to do, then counts the repeats on
   * the 1st, 2nd, 4th ... of them; the server's console counts its refusals likewise. The client
   * caps its wait between attempts at 1 s ({@code --reconnect-max-seconds}), so that the 4th repeat
   * comes after about 4.5 s of waits rather than the default's 15.5 s.
   */
  @Test
  void aClientWithAnotherStateFolderHearsOnceWhyItKeepsTryingThenACount() throws Exception {
    try (Spawned server =
            Spawned.server("resumed", Map.of(), d.resumeOnAnyPort(out, "--wait-seconds", "600"));
        Spawned client =
            Spawned.client(
                "client-0",
                Map.of(),
                d.config,
                server.address(),
                "client-0",
                d.certs,
                tmp.resolve("another-state"),
                Spawned.RECONNECT_QUICKLY.toArray(new String[0]))) {
      String full = client.awaitLine("network: connect_failed client-0: ");
      assertTrue(
          full.contains(
              " is over, and node 'client-0' cannot show that it took part in it: its HELLO names no"
                  + " run (its --state folder records none), so it is not told to stop and keeps"
                  + " trying to connect, to join the next run served at this address; to end it,"
                  + " start it again with the --state folder it used in run "),
          full);
      assertTrue(full.endsWith("or stop it (trying again in 0.5 s)"), full);
      client.awaitLine(
          "network: connect_failed client-0: the same again, 4 more times since it was shown in"
              + " full; still trying every 1 s");
      server.awaitLine("network: refused client-0: the same again, 4 more times");
      client.terminate();
      server.terminate();
      String printed = client.output();
      assertEquals(1, printed.split("cannot show that it took part", -1).length - 1, printed);
      assertFalse(printed.contains("the same again, 3 more times"), printed);
      String served = server.output();
      assertEquals(1, served.split("cannot show that it took part", -1).length - 1, served);
    }
  }

  /**
   * Leftovers, 6 December: with its report written, {@code server --resume} of a finished run read
   * config.json's {@code client.objective} with Gson's getter to print the result: an object was
   * refused with Gson's bare "JsonObject" ("cannot tell the nodes that the finished run is over:
   * JsonObject"), a number was taken for the classification objective and the run ended as if
   * nothing were wrong, while the same config.json was refused naming the file and the key when the
   * report was missing. It is now read as a resume reads it (Simulation.finishedConfig), refused in
   * the same words either way, before anything is written. Fails on the old code.
   */
  @Test
  void aWrongObjectiveIsRefusedInTheSameWordsWithOrWithoutTheReport() throws Exception {
    String[][] cases = {
      {"{}", "not a valid run config (client.objective: not a value but an object)"},
      {"2", "changed since the run started: client.objective is 2, but manifest.json recorded"},
    };
    int n = 0;
    for (String[] c : cases) {
      List<String> messages = new ArrayList<>();
      for (boolean withReport : new boolean[] {true, false}) {
        Path dir = RunSafetyCliTest.copyTree(out, tmp.resolve("objective-" + n++));
        if (!withReport) {
          Files.delete(dir.resolve(ReportWriter.FILE));
        }
        Path config = dir.resolve("config.json");
        String text = Files.readString(config);
        String edited =
            text.replaceFirst("(\"client\\.objective\": )\"classification\"", "$1" + c[0]);
        assertFalse(edited.equals(text), text);
        Files.writeString(config, edited);
        byte[] report = withReport ? Files.readAllBytes(dir.resolve(ReportWriter.FILE)) : null;
        CliRun.Result r = CliRun.run(d.resumeOnAnyPort(dir, "--wait-seconds", "0"));
        assertEquals(2, r.code(), c[0] + ": " + r.err());
        assertTrue(r.err().contains(config + ": " + c[1]), c[0] + ": " + r.err());
        assertEquals("", r.out(), r.out());
        if (withReport) {
          assertArrayEquals(report, Files.readAllBytes(dir.resolve(ReportWriter.FILE)));
        } else {
          assertFalse(Files.exists(dir.resolve(ReportWriter.FILE)), r.err());
        }
        messages.add(r.err().replace(dir.toString(), "DIR"));
      }
      assertEquals(messages.get(0), messages.get(1), "the same words with and without the report");
    }
  }

  @Test
  void theHelpGivesTheFinishedRunsWait() {
    CliRun.Result r = CliRun.run("server", "--help");
    assertEquals(0, r.code(), r.err());
    String flat = r.out().replaceAll("\\s+", " ");
    assertTrue(flat.contains("(default: 600)"), r.out());
    assertTrue(flat.contains("told that the run is over (default: 120"), r.out());
  }
}
