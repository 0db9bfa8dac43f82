package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rows of issue 15 about {@code report.html} and about a privacy budget too small for one
 * round, each checked on a real (tiny) simulation run.
 */
class ReportCliTest {

  @TempDir Path tmp;

  private static String html(Path run) throws Exception {
    return Files.readString(run.resolve("report.html"));
  }

  private static JsonObject json(Path file) throws Exception {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  private static List<String> all(String regex, String text) {
    List<String> found = new ArrayList<>();
    Matcher m = Pattern.compile(regex).matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  /** Issue 15: "The round axes have no ticks and read 'round (5.000 to 20)'. Tooltips '5.000'". */
  @Test
  void reportHasIntegerRoundTicks() throws Exception {
    String html = html(ReportRuns.run());
    assertFalse(html.contains(" to 6)"), "no 'round (x to y)' axis label any more");
    List<String> ticks = all("class=\"xtick\"[^>]*>([^<]*)</text>", html);
    assertFalse(ticks.isEmpty(), "round axes have ticks");
    for (String t : ticks) {
      assertTrue(t.matches("\\d+"), "round tick " + t + " is an integer");
    }
    assertTrue(ticks.contains("0") && ticks.contains("6"), ticks.toString());
    List<String> tips = all("<circle[^>]*><title>([^<]*)</title>", html);
    assertFalse(tips.isEmpty());
    for (String t : tips) {
      assertTrue(t.matches("round \\d+, .*: [-0-9.e]+"), "tooltip: " + t);
    }
  }

  /** Issue 15: "The y ticks are odd values (0.186, 0.373; 336.3k)". */
  @Test
  void reportHasRoundedYTicks() throws Exception {
    String html = html(ReportRuns.run());
    int charts = 0;
    for (String svg : all("(<svg.*?</svg>)", html)) {
      List<String> ticks = all("class=\"ytick\"[^>]*>([^<]*)</text>", svg);
      if (ticks.isEmpty()) {
        continue;
      }
      charts++;
      List<Double> v = new ArrayList<>();
      for (String t : ticks) {
        assertTrue(t.matches("-?\\d+(\\.\\d{1,2})?( ?(k|B|kB|MB|GB))?"), "tick label " + t);
        v.add(Double.parseDouble(t.replaceAll("[^-0-9.]", "")));
      }
      double step = v.get(1) - v.get(0);
      for (int i = 2; i < v.size(); i++) {
        assertEquals(step, v.get(i) - v.get(i - 1), 1e-9, "evenly spaced: " + ticks);
      }
      double mantissa = step / Math.pow(10, Math.floor(Math.log10(step)));
      assertTrue(
          Set.of(1.0, 2.0, 2.5, 5.0).stream().anyMatch(m -> Math.abs(m - mantissa) < 1e-9),
          "a round step: " + ticks);
      assertEquals(0, v.get(0) % step, 1e-9, "ticks on multiples of the step: " + ticks);
    }
    assertTrue(charts >= 4, "accuracy, loss, per-client accuracy and traffic charts: " + charts);
  }

  /**
   * Issue 15: "Up and down traffic draw one overlapping flat line, while the table says down is
   * twice up, because of the evaluation broadcasts, which the chart omits and nothing explains".
   */
  @Test
  void reportShowsUpAndDownTrafficWithEvaluationTraffic() throws Exception {
    Path run = ReportRuns.run();
    String html = html(run);
    JsonObject summary = json(run.resolve("summary.json"));
    long[] sum = new long[4];
    for (int i = 0; i < 4; i++) {
      for (String b : all("class=\"traffic-" + i + "\".*?\\(([0-9,]+) bytes\\)", html)) {
        sum[i] += Long.parseLong(b.replace(",", ""));
      }
    }
    assertTrue(sum[0] > 0 && sum[2] > 0, "training up and down bars both drawn");
    assertTrue(sum[3] > 0, "the evaluation broadcasts are drawn");
    assertEquals(summary.get("bytes_up_total").getAsLong(), sum[0] + sum[1], "up bars = table");
    assertEquals(summary.get("bytes_down_total").getAsLong(), sum[2] + sum[3], "down bars = table");
    assertTrue(html.contains("broadcasts the global model to the evaluation clients"), html);
  }

  /** Issue 15: "25 labels share 10 colours". */
  @Test
  void reportTellsEveryLabelApart() throws Exception {
    Path run = ReportRuns.run();
    String html = html(run);
    Set<String> expected = new TreeSet<>();
    json(run.resolve("partition.json"))
        .getAsJsonArray("labels")
        .forEach(l -> expected.add(l.getAsString()));
    assertEquals(ReportRuns.LABELS, expected.size());
    List<String> columns = all("class=\"label-col\"[^>]*>([^<]*)</text>", html);
    assertEquals(expected.size(), columns.size(), "one named column per label");
    assertEquals(expected, new TreeSet<>(columns));
  }

  /** Issue 15: "Raw floats: 0.9878754482269287, 26919744". */
  @Test
  void reportShowsHumanReadableNumbers() throws Exception {
    Path run = ReportRuns.run();
    String html = html(run);
    // Everything above the configuration table, which shows the settings as given.
    String shown = html.substring(0, html.indexOf("<h2>Configuration"));
    // Attribute values that are coordinates and colours are not read; drop the tags' insides but
    // keep the tooltips (<title>) and the text. The commit is an identifier, not a number, even
    // when its first characters are all digits (commit 8086006967... failed this test).
    com.google.gson.JsonElement commit = json(run.resolve("manifest.json")).get("git_commit");
    String text = shown.replaceAll("<[^>]*>", " ");
    if (commit != null && !commit.isJsonNull()) {
      String c = commit.getAsString();
      text = text.replace(c.substring(0, Math.min(10, c.length())), " ");
    }
    Matcher longFloat = Pattern.compile("\\d\\.\\d{4,}").matcher(text);
    assertFalse(longFloat.find(), () -> "raw float " + longFloat.group() + " in the report");
    Matcher rawCount = Pattern.compile("(?<![\\w.,])\\d{5,}(?![\\w])").matcher(text);
    assertFalse(rawCount.find(), () -> "ungrouped count " + rawCount.group() + " in the report");
    assertTrue(text.matches("(?s).*bytes_up_total\\s+[0-9.]+ (kB|MB).*"), "bytes in kB or MB");
    assertTrue(text.matches("(?s).*final_accuracy\\s+0\\.\\d{3}\\s.*"), "accuracy to 3 decimals");
  }

  /** Issue 15: "No wall time, date, seed or commit, although the manifest has them". */
  @Test
  void reportHeaderHasWallTimeDateSeedAndCommit() throws Exception {
    Path run = ReportRuns.run();
    String html = html(run);
    String commit = json(run.resolve("manifest.json")).get("git_commit").getAsString();
    int top = html.indexOf("<table>");
    String header = html.substring(0, top);
    assertTrue(
        header.matches("(?s).*finished <b>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC.*"), header);
    assertTrue(header.matches("(?s).*wall time <b>[0-9.]+ s</b>.*"), header);
    assertTrue(header.contains("seed <b>5</b>"), header);
    assertTrue(header.contains(commit.substring(0, Math.min(10, commit.length()))), header);
  }

  /**
   * manifest.json's git_commit is the build's (RunManifestTest): 40 hex digits, "+dirty" for a
   * build from uncommitted sources, or "unknown". The header shows 10 digits and keeps "+dirty";
   * the whole value is the tooltip.
   */
  @Test
  void reportHeaderShowsTheBuildsCommitAndWhetherItWasDirty() throws Exception {
    Path run = ReportRuns.run();
    for (String f :
        List.of(
            "metrics.jsonl", "config.json", "partition.json", "summary.json", "timings.jsonl")) {
      Files.copy(run.resolve(f), tmp.resolve(f));
    }
    JsonObject manifest = json(run.resolve("manifest.json"));
    String sha = "0123456789abcdef0123456789abcdef01234567";
    String[][] shown = {
      {sha, "0123456789"}, {sha + "+dirty", "0123456789+dirty"}, {"unknown", "unknown"}
    };
    for (String[] c : shown) {
      manifest.addProperty("git_commit", c[0]);
      Files.writeString(tmp.resolve("manifest.json"), manifest.toString());
      String html = Files.readString(ReportWriter.write(tmp));
      assertTrue(html.contains("commit <b title=\"" + c[0] + "\">" + c[1] + "</b>"), c[0]);
    }
  }

  /** After a --resume, the summary's wall time is only the last process's: the header says so. */
  @Test
  void reportWallTimeSaysWhenTheRunWasResumed() throws Exception {
    Path run = ReportRuns.run();
    for (String f :
        List.of(
            "metrics.jsonl", "config.json", "partition.json", "manifest.json", "summary.json")) {
      Files.copy(run.resolve(f), tmp.resolve(f));
    }
    assertFalse(Files.readString(ReportWriter.write(tmp)).contains("resumed"), "no timings yet");
    // Round 3 timed twice: the run was killed after round 3's metrics and before its checkpoint.
    Files.writeString(
        tmp.resolve("timings.jsonl"),
        """
        {"round":1,"round_seconds":40.0,"eval_seconds":0.0}
        {"round":2,"round_seconds":40.0,"eval_seconds":0.0}
        {"round":3,"round_seconds":40.0,"eval_seconds":5.0}
        {"round":3,"round_seconds":40.0,"eval_seconds":5.0}
        {"round":4,"round_seconds":40.0,"eval_seconds":0.0}
        """);
    String html = Files.readString(ReportWriter.write(tmp));
    assertTrue(
        html.contains("in the last process (resumed; rounds in all processes: 2 min 45 s)"), html);
  }

  /** Metrics added to metrics.jsonl later (recall@k, say) get charts without code changes. */
  @Test
  void reportChartsEveryMetricInTheMetricsFile() throws Exception {
    Path run = ReportRuns.run();
    for (String f :
        List.of(
            "summary.json", "config.json", "partition.json", "manifest.json", "timings.jsonl")) {
      Files.copy(run.resolve(f), tmp.resolve(f));
    }
    List<String> lines = new ArrayList<>();
    for (String l : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(l).getAsJsonObject();
      int r = o.get("round").getAsInt();
      o.addProperty("recall@5", 0.1 * r);
      o.addProperty("client_recall@5_mean", 0.05 * r);
      JsonObject per = new JsonObject();
      per.addProperty("client-00", 0.5);
      per.addProperty("client-01", 0.25);
      o.add("client_recall@5", per);
      lines.add(o.toString());
    }
    Files.write(tmp.resolve("metrics.jsonl"), lines);
    String html = Files.readString(ReportWriter.write(tmp));
    assertTrue(html.contains("<h2>recall@5 per round</h2>"), "a chart for the new metric");
    assertTrue(html.contains("round 6, mean over clients' held-out data: 0.300"), "with its mean");
    assertTrue(html.contains("<h2>Per-client recall@5 (round 6"), "and its per-client bars");
    assertFalse(html.contains("client_recall@5_mean per round"), "the mean is not charted twice");
    assertTrue(html.contains("<h2>Accuracy per round</h2>"));
  }

  /**
   * Issue 15: "With client- or sample-level DP and a budget smaller than one round's epsilon,
   * simulate prints 'stopping early...' and dies in ReportWriter (NoSuchFileException on
   * metrics.jsonl), exit 1. --resume repeats the crash."
   */
  @ParameterizedTest
  @ValueSource(strings = {"client", "sample"})
  void dpBudgetBelowOneRoundEndsCleanly(String mode) throws Exception {
    Path out = tmp.resolve("dp-" + mode);
    CliRun.Result r =
        CliRun.run(
            "simulate",
            ReportRuns.config().toString(),
            "--set",
            "privacy.mode=" + mode,
            "--set",
            "privacy.epsilon=0.01",
            "--out",
            out.toString());
    assertEquals(2, r.code(), "a budget that pays for no round is bad input: " + r.err());
    assertTrue(r.err().contains("stopping early"), r.err());
    assertTrue(r.err().contains("no round completed"), r.err());
    assertFalse(r.err().contains("NoSuchFile") || r.err().contains("metrics.jsonl"), r.err());
    assertTrue(r.out().contains("after 0 of 6 rounds (stopped early"), r.out());
    JsonObject summary = json(out.resolve("summary.json"));
    assertEquals(0, summary.get("rounds").getAsInt());
    assertTrue(summary.get("stopped_early").getAsString().contains("budget"), summary.toString());
    String html = html(out);
    assertTrue(html.contains("No round completed."), "the report says what happened");
    assertTrue(html.contains(summary.get("stopped_early").getAsString().substring(0, 20)));
    // The run is finished (summary.json): --resume, which repeated the crash, is refused at once.
    CliRun.Result resumed = CliRun.run("simulate", "--resume", out.toString());
    assertEquals(2, resumed.code(), resumed.err());
    assertTrue(resumed.err().contains("holds a finished run (summary.json)"), resumed.err());
    assertEquals(summary, json(out.resolve("summary.json")));
  }

  /**
   * QA (budget stop): client-level DP whose budget pays for one round of six (eval.every = 3): the
   * run ends as a run of one round would, its last round evaluated (the stopped_early line of
   * metrics.jsonl), charted in report.html, and --resume says why the run is finished.
   */
  @Test
  void dpBudgetStopEvaluatesAndChartsTheLastRound() throws Exception {
    double one = new org.fedpeft.privacy.RdpAccountant().step(1.0, 1.0, 1).getEpsilon(1e-5);
    double two = new org.fedpeft.privacy.RdpAccountant().step(1.0, 1.0, 2).getEpsilon(1e-5);
    Path out = tmp.resolve("dp-one-round");
    CliRun.Result r =
        CliRun.run(
            "simulate",
            ReportRuns.config().toString(),
            "--set",
            "privacy.mode=client",
            "--set",
            "privacy.noise=seeded",
            "--set",
            "privacy.epsilon=" + (one + two) / 2,
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("after 1 of 6 rounds (stopped early"), r.out());
    JsonObject summary = json(out.resolve("summary.json"));
    assertEquals(1, summary.get("rounds").getAsInt());
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(2, metrics.size(), String.join("\n", metrics));
    JsonObject stop = JsonParser.parseString(metrics.get(1)).getAsJsonObject();
    assertEquals("stopped_early", stop.get("event").getAsString());
    assertEquals(1, stop.get("round").getAsInt());
    assertEquals(summary.get("stopped_early"), stop.get("stopped_early"));
    assertEquals(summary.get("final_accuracy"), stop.get("accuracy"));
    assertTrue(stop.has("client_accuracy"), stop.toString());
    String html = html(out);
    assertTrue(html.contains("Stopped early after round 1 of 6."), html);
    assertTrue(html.contains("<h2>Accuracy per round</h2>"), "round 1's evaluation is charted");
    assertTrue(html.contains("<h2>Per-client accuracy (round 1"), "with its per-client bars");
    CliRun.Result resumed = CliRun.run("simulate", "--resume", out.toString());
    assertEquals(2, resumed.code(), resumed.err());
    assertTrue(
        resumed
            .err()
            .contains("holds a finished run (summary.json), stopped early: privacy budget"),
        resumed.err());
  }
}
