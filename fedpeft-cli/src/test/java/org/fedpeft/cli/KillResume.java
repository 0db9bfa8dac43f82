package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedpeft.io.Safetensors;
import org.fedpeft.run.PausePoint;
import org.fedpeft.tensor.HostTensor;

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
   * into {@code DIR/killed-KIND} in a child JVM armed at {@code round-R-after-metrics} (round R
   * checkpointed, evaluated and its metrics line written: the folder is ahead of its checkpoint,
   * the worst moment to die), kills it with SIGKILL once it says it holds there, checks that its
   * metrics.jsonl has R lines, resumes it in this JVM ({@code simulate --resume}), and asserts that
   * every file {@link #compared} lists is in both folders with the same bytes.
   *
   * @param round R, a round the run reaches (its last too: the resume then evaluates that round
   *     again and writes the run's final files)
   */
  static Runs assertKilledSimulationResumes(
      Path dir, String kind, Path config, List<String> settings, int round) throws Exception {
    return assertKilledSimulationResumes(
        dir, kind, config, settings, "round-" + round + "-after-metrics", round, killed -> {});
  }

  /** What a test checks of the killed run's folder before it is resumed. */
  interface KilledFolderCheck {
    void check(Path killed) throws Exception;
  }

  /**
   * {@link #assertKilledSimulationResumes(Path, String, Path, List, int)} with the child killed at
   * pause point {@code point}, where its metrics.jsonl has {@code lines} lines; {@code check} is
   * run on the killed folder before the resume.
   */
  static Runs assertKilledSimulationResumes(
      Path dir,
      String kind,
      Path config,
      List<String> settings,
      String point,
      int lines,
      KilledFolderCheck check)
      throws Exception {
    Path full = dir.resolve("full-" + kind);
    CliRun.Result first = CliRun.run(simulate(config, settings, full).toArray(new String[0]));
    assertEquals(0, first.code(), first.err());
    int rounds = Files.readAllLines(full.resolve("metrics.jsonl")).size();
    assertTrue(rounds >= lines, "the run must reach " + point + " to be killed there");

    Path killed = dir.resolve("killed-" + kind);
    try (Spawned child =
        Spawned.fedpeft(
            kind, Map.of(PausePoint.PROPERTY, point), simulate(config, settings, killed))) {
      child.awaitLine(PausePoint.message(point));
      child.kill();
    }
    assertEquals(
        lines,
        Files.readAllLines(killed.resolve("metrics.jsonl")).size(),
        "the lines written before " + point);
    assertFalse(Files.exists(killed.resolve("summary.json")), "killed before the end");
    check.check(killed);

    CliRun.Result r = CliRun.run("simulate", "--resume", killed.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("resuming"), r.err());
    assertSameFiles(full, killed);
    return new Runs(full, first, killed);
  }

  /**
   * Runs {@code train ARGS --out DIR/KIND} and moves that folder to {@code DIR/full-KIND}; then
   * runs the same into {@code DIR/KIND} again, armed at {@code train-step-N-before-checkpoint}
   * (step N taken and its metrics written, the checkpoint after it not), kills it with SIGKILL once
   * it says it holds there, resumes it ({@code train --resume}) and asserts that every file {@link
   * #compared} lists is in both folders with the same bytes. Both runs are given the same {@code
   * --out}, as the checkpoint keeps the run's arguments. Every run is a child JVM, so that all use
   * the same PyTorch thread settings.
   *
   * @param step N, a step before the last that ARGS' {@code --checkpoint-every} divides, after an
   *     earlier checkpoint, so that the resume starts from a checkpoint and takes step N again
   */
  static void assertKilledTrainResumes(Path dir, String kind, List<String> args, int step)
      throws Exception {
    Path out = dir.resolve(kind);
    assertExits0(Spawned.fedpeft(kind, Map.of(), train(args, out)));
    Path full = Files.move(out, dir.resolve("full-" + kind));

    String point = "train-step-" + step + "-before-checkpoint";
    try (Spawned child =
        Spawned.fedpeft(kind, Map.of(PausePoint.PROPERTY, point), train(args, out))) {
      child.awaitLine(PausePoint.message(point));
      child.kill();
    }
    assertFalse(Files.exists(out.resolve("summary.json")), "killed before the end");

    Spawned resumed =
        Spawned.fedpeft(kind + "-resumed", Map.of(), List.of("train", "--resume", out.toString()));
    assertExits0(resumed);
    assertTrue(resumed.output().contains("resuming " + out + " after step"), resumed.output());
    assertSameFiles(full, out);
  }

  private static void assertExits0(Spawned run) throws InterruptedException {
    try (run) {
      assertEquals(0, run.waitFor(), run.output());
    }
  }

  private static List<String> train(List<String> args, Path out) {
    List<String> a = new ArrayList<>(List.of("train"));
    a.addAll(args);
    a.addAll(List.of("--out", out.toString()));
    return a;
  }

  /**
   * Asserts that {@link #compared} lists the same files in both folders, with the same bytes; the
   * failure names every file that differs and, for a tensor file, each tensor that differs, how
   * many of its elements and by how much (a last-bit difference and a lost state look different).
   */
  private static void assertSameFiles(Path full, Path resumed) throws IOException {
    List<String> files = compared(full);
    assertEquals(files, compared(resumed), "the files of the uninterrupted and the resumed run");
    StringBuilder differences = new StringBuilder();
    for (String f : files) {
      long at = Files.mismatch(full.resolve(f), resumed.resolve(f));
      if (at >= 0) {
        differences.append("\n").append(f).append(" differs from byte ").append(at);
        if (f.endsWith(".safetensors")) {
          differences.append(tensorDifferences(full.resolve(f), resumed.resolve(f)));
        }
      }
    }
    assertTrue(differences.isEmpty(), "after resume:" + differences);
  }

  /** Per tensor that differs: its name, how many elements differ and the largest difference. */
  private static String tensorDifferences(Path a, Path b) throws IOException {
    Map<String, HostTensor> x = Safetensors.readFloatTensors(a);
    Map<String, HostTensor> y = Safetensors.readFloatTensors(b);
    StringBuilder out = new StringBuilder();
    if (!x.keySet().equals(y.keySet())) {
      out.append("\n  tensors ").append(x.keySet()).append(" vs ").append(y.keySet());
    }
    for (Map.Entry<String, HostTensor> e : x.entrySet()) {
      HostTensor other = y.get(e.getKey());
      if (other == null || !e.getValue().sameShape(other)) {
        continue;
      }
      float[] u = e.getValue().data();
      float[] v = other.data();
      int differing = 0;
      double largest = 0;
      for (int i = 0; i < u.length; i++) {
        if (Float.floatToRawIntBits(u[i]) != Float.floatToRawIntBits(v[i])) {
          differing++;
          largest = Math.max(largest, Math.abs((double) u[i] - v[i]));
        }
      }
      if (differing > 0) {
        out.append("\n  ")
            .append(e.getKey())
            .append(": ")
            .append(differing)
            .append(" of ")
            .append(u.length)
            .append(" elements, largest difference ")
            .append(largest);
      }
    }
    return out.toString();
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
