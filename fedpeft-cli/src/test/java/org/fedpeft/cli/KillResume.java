package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedpeft.simulation.PausePoint;

/**
 * The kill -9 and resume proof of {@code fedpeft simulate}: a run killed with SIGKILL at a pause
 * point and resumed must end with the files of the same run uninterrupted, byte for byte.
 */
final class KillResume {

  private KillResume() {}

  /** The runs of one proof: the uninterrupted one (and what it printed) and the resumed one. */
  record Runs(Path full, CliRun.Result uninterrupted, Path resumed) {}

  /**
   * Runs {@code simulate CONFIG SETTINGS} into {@code DIR/full-KIND} in this JVM; then the same
   * into {@code DIR/killed-KIND} in a child JVM armed at {@code round-R-before-checkpoint} (round R
   * aggregated and its metrics line written, its checkpoint not: the folder is ahead of its
   * checkpoint, the worst moment to die), kills it with SIGKILL once it says it holds there, checks
   * that its metrics.jsonl has R lines, resumes it in this JVM ({@code simulate --resume}), and
   * asserts that every file {@link #compared} lists is in both folders with the same bytes.
   *
   * @param round R, a round before the run's last, so that the kill is before the end
   */
  static Runs assertKilledSimulationResumes(
      Path dir, String kind, Path config, List<String> settings, int round) throws Exception {
    Path full = dir.resolve("full-" + kind);
    CliRun.Result first = CliRun.run(simulate(config, settings, full).toArray(new String[0]));
    assertEquals(0, first.code(), first.err());
    int rounds = Files.readAllLines(full.resolve("metrics.jsonl")).size();
    assertTrue(rounds > round, "the run must go past round " + round + " to be killed in it");

    Path killed = dir.resolve("killed-" + kind);
    String point = "round-" + round + "-before-checkpoint";
    try (Spawned child =
        Spawned.fedpeft(
            kind, Map.of(PausePoint.PROPERTY, point), simulate(config, settings, killed))) {
      child.awaitLine(PausePoint.message(point));
      child.kill();
    }
    assertEquals(
        round,
        Files.readAllLines(killed.resolve("metrics.jsonl")).size(),
        "round " + round + " was logged, not checkpointed");

    CliRun.Result r = CliRun.run("simulate", "--resume", killed.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("resuming"), r.err());
    List<String> files = compared(full);
    assertEquals(files, compared(killed), "the files of the uninterrupted and the resumed run");
    for (String f : files) {
      assertEquals(
          -1L, Files.mismatch(full.resolve(f), killed.resolve(f)), f + " differs after resume");
    }
    return new Runs(full, first, killed);
  }

  /**
   * The files of a finished run folder that a resume must reproduce, relative to it, sorted:
   * metrics.jsonl and every tensor file ({@code .safetensors}) under {@code adapter/} (the global
   * adapter and head), {@code checkpoint/} (the server state, with the clients' LOCAL state) and
   * {@code clients/} (each client's own model, for a method with LOCAL tensors).
   */
  static List<String> compared(Path run) throws IOException {
    List<String> files = new ArrayList<>(List.of("metrics.jsonl"));
    for (String sub : List.of("adapter", "checkpoint", "clients")) {
      Path d = run.resolve(sub);
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> s = Files.walk(d)) {
        s.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
            .map(p -> run.relativize(p).toString())
            .sorted()
            .forEach(files::add);
      }
    }
    return files;
  }

  private static List<String> simulate(Path config, List<String> settings, Path out) {
    List<String> args = new ArrayList<>(List.of("simulate", config.toString()));
    args.addAll(settings);
    args.addAll(List.of("--out", out.toString()));
    return args;
  }
}
