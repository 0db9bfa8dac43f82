package org.fedpeft.peft.dual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.run.OldLayoutCheckpoint;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;
import org.fedpeft.simulation.TinyRuns;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a FedDPA simulation's checkpoint writes each round: a checkpoint file whose size does not
 * grow with the rounds, and the files of the LOCAL states of the clients the round changed, no
 * others; and a run checkpointed in the layout before (everything inside the checkpoint file)
 * resumes to the end of the same run uninterrupted.
 */
class FedDpaCheckpointBytesTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = TinyRuns.model(tmp.resolve("tiny"));
    data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 2400);
  }

  /** FedDPA-T on the tiny model, as {@link FedDpaSimulationTest} runs it, with {@code extra}. */
  private static SimulationConfig config(Map<String, String> extra) {
    return FedDpaSimulationTest.config(model, data, extra);
  }

  private static Set<String> stateFiles(Path run) {
    Path dir = run.resolve("checkpoint/local");
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every client sampled and evaluated every round, so every state changes every round and the
   * index of state files has all clients from round 1 on: the checkpoint file of round 5 is as
   * large as round 2's, but for a few digits (it held every metrics line, every message of the
   * communication log and every state inside before).
   */
  @Test
  void theCheckpointFileDoesNotGrowWithTheRounds() throws Exception {
    Path out = tmp.resolve("growth");
    List<Long> sizes = new ArrayList<>();
    try (Simulation sim =
        Simulation.create(
            config(Map.of("rounds", "6", "clients", "4", "clients_per_round", "4")), out)) {
      sim.run(
          new Simulation.Listener() {
            @Override
            public void onRound(RoundReport report, Map<String, Object> line) {
              sizes.add(size(out.resolve(RunCheckpoint.FILE)));
            }
          });
    }
    // Rounds 2 and 5: both checkpoints with a pending line (the last round's is written again).
    long round2 = sizes.get(1);
    long round5 = sizes.get(4);
    assertTrue(round5 <= round2 + 64, "checkpoint bytes by round: " + sizes);
  }

  /**
   * 200 clients, 10 sampled per round, evaluated only after the last: each round's checkpoint
   * writes the checkpoint file and the state files of the clients it sampled, and the folder holds
   * one file per client with a state.
   */
  @Test
  void aRoundWritesTheStateFilesOfTheClientsItChangedOnly() throws Exception {
    Path out = tmp.resolve("many");
    List<String> written = new ArrayList<>();
    List<Long> bytes = new ArrayList<>();
    Set<String> before = new TreeSet<>();
    List<Integer> newFiles = new ArrayList<>();
    List<Integer> sampled = new ArrayList<>();
    try (Simulation sim =
        Simulation.create(
            config(
                Map.of(
                    "rounds", "5",
                    "clients", "200",
                    "clients_per_round", "10",
                    "eval.every", "5",
                    "eval.clients", "20",
                    "data.max_eval", "8")),
            out)) {
      sim.run(
          new Simulation.Listener() {
            @Override
            public void onRound(RoundReport report, Map<String, Object> line) {
              Set<String> now = stateFiles(out);
              Set<String> added = new TreeSet<>(now);
              added.removeAll(before);
              long file = size(out.resolve(RunCheckpoint.FILE));
              long b = file;
              for (String f : added) {
                b += size(out.resolve("checkpoint/local").resolve(f));
              }
              bytes.add(b);
              newFiles.add(added.size());
              sampled.add(report.sampled().size());
              written.add(
                  "round "
                      + report.round()
                      + ": "
                      + b
                      + " bytes ("
                      + file
                      + " the checkpoint file, "
                      + added.size()
                      + " state files)");
              before.clear();
              before.addAll(now);
            }
          });
    }
    System.out.println("checkpoint bytes written per round: " + written);
    // Rounds 1-4 (round 5 is checkpointed twice, its evaluation changing every evaluated client).
    for (int r = 0; r < 4; r++) {
      assertTrue(newFiles.get(r) <= sampled.get(r), "round " + (r + 1) + ": " + written);
    }
    assertTrue(bytes.get(3) <= bytes.get(0) * 2, "bytes per round stay bounded: " + written);
    assertEquals(
        RunCheckpoint.load(out).local().size(),
        stateFiles(out).size(),
        "one file per client with a state");
  }

  /** Round 2's checkpoint rewritten as the fedpeft before wrote it; the resume ends identical. */
  @Test
  void aRunCheckpointedInTheLayoutBeforeResumesToTheSameEnd() throws Exception {
    SimulationConfig c = config(Map.of("rounds", "4"));
    Path whole = tmp.resolve("whole");
    try (Simulation sim = Simulation.create(c, whole)) {
      sim.run(new Simulation.Listener() {});
    }
    Path parts = tmp.resolve("parts");
    TinyRuns.stopAfterRound(c, parts, 2);
    RunCheckpoint mid = RunCheckpoint.load(parts);
    assertTrue(!mid.local().isEmpty(), "clients hold LOCAL state");
    OldLayoutCheckpoint.save(parts, mid);
    assertEquals(Set.of(), stateFiles(parts), "the layout before had no state files");
    assertEquals(mid.local(), RunCheckpoint.load(parts).local());

    try (Simulation sim = Simulation.resume(parts)) {
      sim.run(new Simulation.Listener() {});
    }
    assertEquals(
        -1L,
        Files.mismatch(whole.resolve("metrics.jsonl"), parts.resolve("metrics.jsonl")),
        "metrics.jsonl");
    assertEquals(
        -1L,
        Files.mismatch(whole.resolve(RunCheckpoint.FILE), parts.resolve(RunCheckpoint.FILE)),
        "the checkpoint file, in the new layout");
    assertEquals(stateFiles(whole), stateFiles(parts), "the state files");
    for (String f : stateFiles(whole)) {
      Path local = Path.of("checkpoint/local").resolve(f);
      assertEquals(-1L, Files.mismatch(whole.resolve(local), parts.resolve(local)), f);
    }
    assertEquals(RunCheckpoint.load(whole).local(), RunCheckpoint.load(parts).local());
  }
}
