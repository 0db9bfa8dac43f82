package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 5 December: timings.jsonl is appended to line by line, so a kill or a power loss while a line
 * was written leaves it cut. A resume then appended its lines after the half line, and report.html,
 * which reads every line strictly, refused the finished run; since a resume reads timings.jsonl
 * before its rounds, it refused the run instead. The resume now drops a cut last line (and ends a
 * whole last line that lost its line end), as it does for metrics.jsonl. Both tests fail on the old
 * code.
 */
class CutTimingsLineResumeTest {

  @TempDir Path tmp;

  /** Stands for a kill once round 1 is recorded: its checkpoint, metrics and timings lines. */
  private static final class Killed extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  @Test
  void aCutLastLineIsDroppedAndTheResumedRunFinishes() throws Exception {
    Path out = killedAfterRoundOne();
    Path timings = out.resolve("timings.jsonl");
    List<String> before = Files.readAllLines(timings);
    Files.writeString(timings, "{\"round\":2,\"round_sec", StandardOpenOption.APPEND);
    assertEquals(before, finish(out).subList(0, before.size()));
  }

  @Test
  void aWholeLastLineThatLostItsLineEndGetsOne() throws Exception {
    Path out = killedAfterRoundOne();
    Path timings = out.resolve("timings.jsonl");
    String text = Files.readString(timings);
    Files.writeString(timings, text.substring(0, text.length() - 1)); // the final '\n' lost
    List<String> lines = finish(out);
    assertEquals(text, String.join("\n", lines.subList(0, text.split("\n").length)) + "\n");
  }

  /** A two-round run of a tiny model, stopped once round 1 is recorded; its folder. */
  private Path killedAfterRoundOne() throws Exception {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "4");
    o.put("rounds", "2");
    o.put("clients", "2");
    o.put("clients_per_round", "2");
    o.put("data.file", TinyRuns.topicData(tmp.resolve("data.jsonl"), 40).toString());
    o.put("data.max_eval", "10");
    o.put("model.name", TinyRuns.model(tmp.resolve("tiny")).toString());
    Path out = tmp.resolve("run");
    try (Simulation sim = Simulation.create(SimulationConfig.of(Map.of(), o, "test"), out)) {
      assertThrows(
          Killed.class,
          () ->
              sim.run(
                  new Simulation.Listener() {
                    @Override
                    public void onRound(RoundReport report, Map<String, Object> metricsLine) {
                      throw new Killed();
                    }
                  }));
    }
    assertTrue(Files.isRegularFile(out.resolve("timings.jsonl")));
    return out;
  }

  /**
   * Resumes and finishes the run in {@code out}; its timings.jsonl's lines, each checked to be a
   * JSON object in strict JSON, as report.html reads them.
   */
  private static List<String> finish(Path out) throws Exception {
    try (Simulation sim = Simulation.resume(out)) {
      sim.run(new Simulation.Listener() {});
    }
    Path timings = out.resolve("timings.jsonl");
    List<String> lines = Files.readAllLines(timings, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      JsonFiles.parseLine(timings, i + 1, lines.get(i));
    }
    assertTrue(Files.readString(timings).endsWith("\n"));
    assertTrue(Files.isRegularFile(out.resolve("summary.json")));
    return lines;
  }
}
