package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leftovers: {@code simulate --resume} of a finished run whose report.html is missing (killed after
 * summary.json) writes the report from the run's files, and read them otherwise than a resume of an
 * unfinished run does.
 *
 * <p>A config.json key of the wrong type was read by the report with Gson's getters: a key holding
 * an object exited 1 with Gson's bare "JsonObject", a number given as text exited 2 with "For input
 * string: "two"", neither naming the file or the key, and a number given as an array or a fraction
 * wrote a report. The config is now read as a resume reads it, refused in the same words. Fails on
 * the old code.
 *
 * <p>A last line of timings.jsonl cut by a kill, which a resume drops, made the report refuse the
 * run ("timings.jsonl: line 2: not valid JSON: End of input ..."); the report now leaves it out by
 * the resume's rule (RunRecorder.linesToKeep), the file left as it is. Fails on the old code.
 */
class FinishedRunMissingReportCliTest {

  @TempDir static Path tmp;

  /** A finished simulate run, copied by the tests that change it. */
  static Path finished;

  @BeforeAll
  static void fixtures() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("model"));
    Path data = CliRun.animalsAndFood(tmp.resolve("data.jsonl"), 12);
    finished = tmp.resolve("finished");
    CliRun.Result r = CliRun.smallSimulate(tmp.resolve("run.toml"), finished, model, data, "");
    assertEquals(0, r.code(), r.err());
  }

  /** A copy of the finished run without report.html, as if killed after summary.json. */
  private static Path withoutReport(String name) throws IOException {
    Path dir = copy(finished, name);
    Files.delete(dir.resolve(ReportWriter.FILE));
    return dir;
  }

  /**
   * A copy of the finished run without summary.json and report.html, as if killed before it was
   * finalized.
   */
  private static Path unfinished(String name) throws IOException {
    Path dir = withoutReport(name);
    Files.delete(dir.resolve("summary.json"));
    return dir;
  }

  /** config.json of {@code dir} with the value of {@code key} replaced by {@code json}. */
  private static void setConfig(Path dir, String key, String json) throws IOException {
    Path file = dir.resolve("config.json");
    String text = Files.readString(file);
    String edited =
        text.replaceFirst(
            "(\"" + Pattern.quote(key) + "\": )[^,\\n]*", "$1" + Matcher.quoteReplacement(json));
    assertFalse(edited.equals(text), key);
    Files.writeString(file, edited);
  }

  @Test
  void aConfigKeyOfTheWrongTypeIsRefusedAsAResumeRefusesIt() throws Exception {
    String[][] cases = {
      // key, value, what the message says after "config.json: "
      {"rounds", "{\"a\": 1}", "not a valid run config (rounds: not a value but an object)"},
      {
        "client.objective",
        "{}",
        "not a valid run config (client.objective: not a value but an object)"
      },
      {
        "privacy.epsilon",
        "[{}]",
        "not a valid run config (privacy.epsilon: not an array of values, it holds an object)"
      },
      {"rounds", "\"two\"", "rounds must be an integer, got two"},
      {"rounds", "[2]", "rounds must be an integer, got [2]"},
      {"privacy.epsilon", "\"abc\"", "privacy.epsilon must be a number, got abc"},
    };
    int n = 0;
    for (String[] c : cases) {
      List<String> messages = new ArrayList<>();
      for (Path dir : List.of(withoutReport("wrong-type-" + n), unfinished("resume-" + n))) {
        setConfig(dir, c[0], c[1]);
        CliRun.Result r = CliRun.run("simulate", "--resume", dir.toString());
        assertEquals(2, r.code(), c[0] + " = " + c[1] + ": " + r.err());
        String config = dir.resolve("config.json").toString();
        assertTrue(r.err().contains(config + ": "), r.err());
        assertTrue(r.err().contains(c[2]), c[0] + " = " + c[1] + ": " + r.err());
        assertFalse(Files.exists(dir.resolve(ReportWriter.FILE)), r.err());
        messages.add(r.err().replace(dir.toString(), "DIR"));
      }
      assertEquals(messages.get(0), messages.get(1), "the same words on both paths");
      n++;
    }
  }

  @Test
  void aCutLastTimingsLineIsLeftOutOfTheReportAndTheFileKept() throws Exception {
    Path dir = withoutReport("cut-timings");
    Path timings = dir.resolve("timings.jsonl");
    byte[] cut = cutLastBytes(timings);
    CliRun.Result r = CliRun.run("simulate", "--resume", dir.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.err().contains("the run finished but was interrupted before writing report.html"),
        r.err());
    assertTrue(Files.isRegularFile(dir.resolve(ReportWriter.FILE)));
    assertArrayEquals(cut, Files.readAllBytes(timings), "a finished run's timings.jsonl kept");
  }

  @Test
  void aBrokenTimingsLineBeforeTheLastIsRefusedAsAResumeRefusesIt() throws Exception {
    List<String> messages = new ArrayList<>();
    for (Path dir : List.of(withoutReport("broken-timings"), unfinished("broken-timings-resume"))) {
      Path timings = dir.resolve("timings.jsonl");
      Files.writeString(timings, "{\"round\": 1,\n" + Files.readString(timings));
      CliRun.Result r = CliRun.run("simulate", "--resume", dir.toString());
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().contains(timings + ": line 1: not valid JSON"), r.err());
      assertFalse(Files.exists(dir.resolve(ReportWriter.FILE)), r.err());
      messages.add(r.err().replace(dir.toString(), "DIR"));
    }
    assertEquals(messages.get(0), messages.get(1), "the same words on both paths");
  }

  /**
   * Leftovers, 6 December: a last line of metrics.jsonl cut by a kill (or a damaged copy) made the
   * report of a finished run refuse it in the report's words ("metrics.jsonl: line 2: not valid
   * JSON: Unterminated string ..."), while a resume of an unfinished run refused the same file as
   * the checkpoint counts that line ("metrics.jsonl is shorter than its checkpointed lines: ...").
   * The finished run's metrics.jsonl is now checked against its checkpoint as a resume checks it,
   * refused in the same words. Fails on the old code.
   */
  @Test
  void aCutMetricsLineTheCheckpointCountsIsRefusedAsAResumeRefusesIt() throws Exception {
    List<String> messages = new ArrayList<>();
    for (Path dir : List.of(withoutReport("cut-metrics"), unfinished("cut-metrics-resume"))) {
      Path metrics = dir.resolve("metrics.jsonl");
      byte[] cut = cutLastBytes(metrics);
      CliRun.Result r = CliRun.run("simulate", "--resume", dir.toString());
      assertEquals(2, r.code(), r.err());
      assertTrue(
          r.err()
              .contains(metrics + " is shorter than its checkpointed lines: the run's checkpoint"),
          r.err());
      assertFalse(Files.exists(dir.resolve(ReportWriter.FILE)), r.err());
      assertArrayEquals(cut, Files.readAllBytes(metrics), "metrics.jsonl kept");
      messages.add(r.err().replace(dir.toString(), "DIR"));
    }
    assertEquals(messages.get(0), messages.get(1), "the same words on both paths");
  }

  /**
   * A cut line after those the checkpoint counts (where a finished run's {@code stopped_early} line
   * is), which a resume drops, was refused by the report ("metrics.jsonl: line 3: not valid JSON:
   * ..."); it is now left out by the resume's rule (RunRecorder.linesToKeep), the file left as it
   * is, and the report charts every round. Fails on the old code.
   */
  @Test
  void aCutMetricsLineAfterTheCheckpointsIsLeftOutOfTheReportAndTheFileKept() throws Exception {
    Path dir = withoutReport("cut-after");
    Path metrics = dir.resolve("metrics.jsonl");
    byte[] cut =
        (Files.readString(metrics) + "{\"event\":\"stopped_ea").getBytes(StandardCharsets.UTF_8);
    Files.write(metrics, cut);
    CliRun.Result r = CliRun.run("simulate", "--resume", dir.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.err().contains("the run finished but was interrupted before writing report.html"),
        r.err());
    assertArrayEquals(cut, Files.readAllBytes(metrics), "a finished run's metrics.jsonl kept");
    assertEquals(
        Files.readString(finished.resolve(ReportWriter.FILE)),
        Files.readString(dir.resolve(ReportWriter.FILE))
            .replace(dir.toString(), finished.toString()),
        "the report of the run as it finished");
  }

  private static Path copy(Path from, String name) throws IOException {
    return RunSafetyCliTest.copyTree(from, tmp.resolve(name));
  }

  /**
   * Cuts the last 10 bytes of {@code file}, as a kill while a line was appended would; its bytes.
   */
  private static byte[] cutLastBytes(Path file) throws IOException {
    String whole = Files.readString(file);
    byte[] cut = whole.substring(0, whole.length() - 10).getBytes(StandardCharsets.UTF_8);
    Files.write(file, cut);
    return cut;
  }
}
