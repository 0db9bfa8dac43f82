package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedpeft.run.PausePoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 5 December: Ctrl-C (SIGTERM) while a new server waited for its nodes left the folder with
 * what the start wrote, and the same command was then refused ("already holds a `fedpeft server`
 * run") until --force was added, although nothing was trained; a run the server was replacing with
 * --force stayed aside in a hidden folder. The interrupted wait now leaves the folder as the
 * command found it, as the end of --wait-seconds does: the same command starts the run again, and a
 * replaced run is back in place. A resumed server interrupted in its wait keeps its folder. Each
 * server is stopped once its "listening on" line is printed (it is then waiting), never after a
 * time.
 */
@Timeout(600)
class ServerInterruptedWaitCliTest {

  @TempDir Path tmp;

  /** {@code server CONFIG --out DIR --listen 127.0.0.1:0 --insecure}, then {@code more}. */
  private static List<String> serverArgs(Path config, Path dir, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "server",
                config.toString(),
                "--out",
                dir.toString(),
                "--listen",
                Spawned.ANY_PORT,
                "--insecure"));
    args.addAll(List.of(more));
    return args;
  }

  /** Starts {@code args}, waits until the server listens (and so waits), and sends SIGTERM. */
  private static String interruptedWait(List<String> args) throws Exception {
    try (Spawned server = Spawned.server("server", Map.of(), args)) {
      assertEquals(143, server.terminate(), server.output());
      return server.output();
    }
  }

  @Test
  void anInterruptedWaitLeavesTheFolderAsTheCommandFoundIt() throws Exception {
    Path config = DeployMethodsCliTest.config(tmp, "fedadam");

    // A folder the command created: removed again, and the same command is not refused for it.
    Path dir = tmp.resolve("runs").resolve("waited");
    String out = interruptedWait(serverArgs(config, dir));
    assertTrue(
        out.contains(
            "interrupted while waiting for the nodes: only 0 of 3 nodes connected: []; not"
                + " connected: [client-0, client-1, client-2]; nothing was trained, and "
                + dir
                + " is removed again (this command created it): the same command starts the run"
                + " again"),
        out);
    assertFalse(Files.exists(dir), out);
    assertFalse(Files.exists(dir.getParent()), "so is the parent folder it created for it");
    CliRun.Result again =
        CliRun.run(serverArgs(config, dir, "--wait-seconds", "0").toArray(new String[0]));
    assertEquals(2, again.code(), again.err());
    assertTrue(
        again.err().contains("only 0 of 3 nodes connected within 0 s"),
        "the same command gets as far as the wait again: " + again.err());
    // Leftovers, 5 December: the end of --wait-seconds said nothing of the folder; it says what
    // it left as the interrupted wait does.
    assertTrue(
        again
            .err()
            .contains(
                "only 0 of 3 nodes connected within 0 s: []; not connected: [client-0, client-1,"
                    + " client-2]; nothing was trained, and "
                    + dir
                    + " is removed again (this command created it): the same command starts the"
                    + " run again"),
        again.err());
    assertFalse(Files.exists(dir), again.err());

    // --force over a finished run: the replaced run is back in its place, nothing left aside.
    Path finished = tmp.resolve("finished");
    CliRun.Result simulated =
        CliRun.run("simulate", config.toString(), "--out", finished.toString());
    assertEquals(0, simulated.code(), simulated.err());
    List<String> before = listing(finished);
    byte[] summary = Files.readAllBytes(finished.resolve("summary.json"));
    out = interruptedWait(serverArgs(config, finished, "--force"));
    assertTrue(
        out.contains(
            "; nothing was trained, and "
                + finished
                + " holds again the run that --force was to replace: the same command starts the"
                + " run again"),
        out);
    assertEquals(before, listing(finished), out);
    assertTrue(Arrays.equals(summary, Files.readAllBytes(finished.resolve("summary.json"))));
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(
          List.of(),
          s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".finished")).toList(),
          "no hidden sibling of the replaced run is left");
    }

    // An empty folder the user made: empty again.
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    out = interruptedWait(serverArgs(config, empty));
    assertTrue(out.contains(empty + " is empty again, as the command found it"), out);
    assertEquals(List.of(), listing(empty), out);
  }

  /** The folder of a server killed while it started, before its first round. */
  private Path killedWhileStarting() throws Exception {
    Path config = DeployMethodsCliTest.config(tmp, "fedadam");
    Path dir = tmp.resolve("killed");
    String point = "simulation-starting";
    try (Spawned child =
        Spawned.fedpeft("server", Map.of(PausePoint.PROPERTY, point), serverArgs(config, dir))) {
      child.awaitLine(PausePoint.message(point));
      child.kill();
    }
    return dir;
  }

  /**
   * A resumed server has its folder from an earlier start: interrupted in its wait, it keeps it and
   * says how to resume it (here a server killed while it started, before its first round).
   */
  @Test
  void aResumedServerInterruptedInItsWaitKeepsItsFolder() throws Exception {
    Path dir = killedWhileStarting();
    List<String> started = listing(dir);
    String out =
        interruptedWait(
            List.of(
                "server", "--resume", dir.toString(), "--listen", Spawned.ANY_PORT, "--insecure"));
    assertTrue(
        out.contains(
            "interrupted while waiting for the nodes: only 0 of 3 nodes connected: []; not"
                + " connected: [client-0, client-1, client-2]; interrupted before round 1 was"
                + " saved; fedpeft server --resume "
                + dir),
        out);
    assertTrue(Files.isRegularFile(dir.resolve("manifest.json")), out);
    assertTrue(listing(dir).containsAll(started), out);
  }

  /**
   * Leftovers, 8: a resumed server whose --wait-seconds ran out said only who had not connected,
   * nothing of its folder (a new run's says what it left; Ctrl-C's words for a resumed run begin
   * with "interrupted"). It now says that the folder is kept as it was and how to resume it again.
   */
  @Test
  void aResumedServerWhoseWaitRunsOutSaysItsFolderIsKept() throws Exception {
    Path dir = killedWhileStarting();
    List<String> started = listing(dir);
    CliRun.Result r =
        CliRun.run(
            "server",
            "--resume",
            dir.toString(),
            "--listen",
            Spawned.ANY_PORT,
            "--insecure",
            "--wait-seconds",
            "0");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "only 0 of 3 nodes connected within 0 s: []; not connected: [client-0, client-1,"
                    + " client-2]; "
                    + dir
                    + " is kept as it was, with no round saved: fedpeft server --resume "
                    + dir
                    + " --insecure --listen 127.0.0.1:"),
        r.err());
    assertTrue(
        r.err().contains("(the clients reconnect by themselves) starts the run again from round 1"),
        r.err());
    assertTrue(listing(dir).containsAll(started), r.err());
    assertTrue(Files.isRegularFile(dir.resolve("config.json")), r.err());
  }

  /** With rounds saved, the kept folder's words name them and the command that resumes it. */
  @Test
  void aKeptFolderNamesTheRoundsSavedAndTheResume() {
    Path dir = Path.of("runs", "deployed");
    assertEquals(
        dir
            + " is kept as it was: rounds 1 to 2 of 5 are saved in "
            + dir.resolve("checkpoint")
            + "; resume it again with: fedpeft server --resume "
            + dir
            + " --insecure",
        RunGuard.keptAsItWas("server", 2, 5, dir, " --insecure"));
    assertEquals(
        dir
            + " is kept as it was: round 1 of 5 is saved in "
            + dir.resolve("checkpoint")
            + "; resume it again with: fedpeft server --resume "
            + dir,
        RunGuard.keptAsItWas("server", 1, 5, dir, ""));
  }

  /**
   * Ctrl-C (SIGTERM) while a new server starts: before it writes anything (its data and model
   * loading) the folder is left as the command found it, as in the wait; once its start wrote
   * config.json it said to add --force, and now names the resume, which takes the folder.
   */
  @Test
  void anInterruptedStartNamesWhatStartsTheRunAgain() throws Exception {
    Path config = DeployMethodsCliTest.config(tmp, "fedadam");
    Path dir = tmp.resolve("loading");
    String out = terminatedAt("run-folder-taken", serverArgs(config, dir));
    assertTrue(
        out.contains(
            "interrupted while the run was starting; nothing was trained, and "
                + dir
                + " is removed again (this command created it): the same command starts the run"
                + " again"),
        out);
    assertFalse(Files.exists(dir), out);

    out = terminatedAt("simulation-starting", serverArgs(config, dir));
    assertTrue(
        out.contains(
            "interrupted before round 1 was saved; fedpeft server --resume "
                + dir
                + " --insecure --listen "
                + Spawned.ANY_PORT
                + " starts the run again from round 1"),
        out);
    assertTrue(listing(dir).contains("config.json"), out);
    out =
        interruptedWait(
            List.of(
                "server", "--resume", dir.toString(), "--listen", Spawned.ANY_PORT, "--insecure"));
    assertTrue(out.contains("resuming " + dir + " after round 0"), out);
  }

  /** Runs {@code args} to {@code point}, sends SIGTERM there and returns what it printed. */
  private static String terminatedAt(String point, List<String> args) throws Exception {
    try (Spawned child = Spawned.fedpeft("server", Map.of(PausePoint.PROPERTY, point), args)) {
      child.awaitLine(PausePoint.message(point));
      assertEquals(143, child.terminate(), child.output());
      return child.output();
    }
  }

  /** The names in {@code dir}, sorted, the lock file included. */
  private static List<String> listing(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
