package org.fedpeft.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.function.Function;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.NaturalOrder;
import org.fedpeft.run.RunRecorder;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;

/**
 * Renders a run folder into {@code report.html}: one self-contained page (inline SVG, no scripts,
 * no network). At the top: when the run finished, its wall time, seed and git commit (from {@code
 * summary.json}, {@code manifest.json} and {@code timings.jsonl}), why it stopped early if it did,
 * and the summary. Then one chart per metric found in the round lines of {@code metrics.jsonl} (a
 * metric {@code m} is drawn with {@code client_m_mean} when both exist; accuracy and loss have
 * their own titles, any other numeric key gets a generic chart), the last per-client values of each
 * per-client map (such as {@code client_accuracy}, from the last round in which a client has one; a
 * bar per client, or past {@value #MAX_CLIENT_BARS} clients their distribution), the traffic per
 * round split into training and evaluation (with the traffic of each failed round attempt and of a
 * round a privacy budget stopped, so that it adds up to the summary's totals), the privacy budget
 * spent (the summary table gives the epsilon beside its budget, {@code privacy.epsilon}), the label
 * distribution of each client's partition as a client-by-label grid (every label has its own named
 * column, so any number of labels stay distinguishable; under a natural partition a table then says
 * which of the data's clients or tasks each client holds) and the resolved configuration.
 *
 * <p>Axes have integer round ticks and y ticks at round steps (1, 2, 2.5 or 5 times a power of
 * ten). The numbers of the summary, the charts and their tooltips are rounded for reading (about 3
 * significant digits, byte counts in kB/MB/GB, durations in minutes and seconds; exact byte counts
 * in the tooltips); the configuration table shows the settings as given, greying those the run did
 * not read. A run that completed no round (no {@code metrics.jsonl}) still gets a report that says
 * so and why.
 *
 * <p>The start and finish times are the modification times of {@code manifest.json} and {@code
 * summary.json}; the wall time is the summary's {@code seconds_this_process}, which after a {@code
 * --resume} covers only the last process (the report says so when {@code timings.jsonl} shows a
 * round timed twice, which happens when a run was killed between a round and its checkpoint).
 *
 * <p>The run's files are read strictly ({@link JsonFiles}): a JSON file, or a line of {@code
 * metrics.jsonl} or {@code timings.jsonl}, that is not UTF-8 or not strict JSON (a repeated key,
 * NaN, a comment: a damaged or hand-edited file) is refused naming the file and the line; but the
 * last line of {@code metrics.jsonl} or {@code timings.jsonl} when a kill cut it while it was
 * appended, which is left out as a resume drops it ({@link RunRecorder#linesToKeep}), the file left
 * as it is. (The report of a finished run whose last checkpoint counts that line of {@code
 * metrics.jsonl} is refused before, as a resume refuses it: {@link
 * SimulateCommand#writeMissingReport}.)
 */
public final class ReportWriter {

  /**
   * Series colours (Tableau 10), in turn; a chart with more series (one per task of a multi-task
   * run, one per FedBE block) starts again from the first.
   */
  private static final String[] PALETTE = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac"
  };

  /** Up traffic: training (dark) and evaluation (light); down traffic likewise. */
  static final String UP = "#2f5f98";

  static final String UP_EVAL = "#9dbbe0";
  static final String DOWN = "#d9730d";
  static final String DOWN_EVAL = "#f7c493";

  /** Round-line keys that the report draws in its own sections (or that are bookkeeping). */
  private static final Set<String> DRAWN_ELSEWHERE =
      Set.of(
          "round",
          "accepted",
          "loss",
          "train_loss",
          "bytes_up",
          "bytes_down",
          "eval_bytes_up",
          "eval_bytes_down",
          "bytes_up_total",
          "bytes_down_total",
          "epsilon",
          "epsilon_mean",
          "client_loss_mean",
          "eval_examples");

  /**
   * Keys of a {@code stopped_early} line that are its own rather than the evaluation of the last
   * completed round it may hold: the reason, and the traffic of the round that could not complete.
   */
  private static final Set<String> STOP_OWN =
      Set.of("stopped_early", "bytes_up", "bytes_down", "bytes_up_total", "bytes_down_total");

  /** Summary keys shown in the table at the top, in this order. */
  private static final List<String> SUMMARY_KEYS =
      List.of(
          "evaluation",
          "final_accuracy",
          "final_loss",
          "final_client_accuracy_mean",
          "final_client_loss_mean",
          "final_eval_round",
          "eval_examples",
          "personalization",
          "test_time_personalization",
          "target_accuracy",
          "rounds_to_target",
          "rounds",
          "clients",
          "clients_per_round",
          "partition",
          "adapter",
          "adapter_options_resolved",
          "trainable_parameters",
          "model",
          "precision",
          "adapter_dir",
          "client_adapters_dir",
          "bytes_up_total",
          "bytes_down_total",
          "test_examples",
          "client_sampling",
          "rounds_skipped",
          "client_fit_failures",
          "client_eval_failures",
          "privacy",
          "epsilon",
          "epsilon_mean",
          "delta",
          "epsilon_note",
          "epsilon_sampling",
          "not_covered",
          "private");

  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private ReportWriter() {}

  /**
   * The warning (HTML) for a run with rounds that released the noise alone ({@link
   * RunRecorder#isNoiseOnlyRound}: client-level DP with Poisson client sampling, nobody sampled or
   * every sampled client's update failed): how many and which, as the console's line for each says;
   * null if there are none.
   */
  static String noiseOnlyRounds(List<JsonObject> rounds) {
    List<String> which = new ArrayList<>();
    for (JsonObject r : rounds) {
      if (RunRecorder.isNoiseOnlyRound(r)) {
        which.add(r.get("round").getAsString());
      }
    }
    if (which.isEmpty()) {
      return null;
    }
    return "<b>"
        + SimulateCommand.roundCount(which.size())
        + " released the noise alone</b> ("
        + (which.size() == 1 ? "round " : "rounds ")
        + String.join(", ", which)
        + ": accepted 0 in metrics.jsonl; no client sampled, or every sampled client's update"
        + " failed): the global model moved by the noise alone, and each was charged like every"
        + " round under privacy.mode = \"client\" with client_sampling = \"poisson\".";
  }

  /**
   * The warning (HTML) for a run whose client evaluations failed, from the rounds' {@code
   * eval_failures}: how many, in how many rounds, and the first one's reason; null if none failed.
   */
  static String evalFailures(List<JsonObject> rounds) {
    return clientFailures(
        rounds,
        r -> {
          List<JsonObject> out = new ArrayList<>();
          if (r.has("eval_failures")) {
            r.getAsJsonArray("eval_failures").forEach(e -> out.add(e.getAsJsonObject()));
          }
          return out;
        },
        "eval_failures",
        "evaluation",
        "the clients' accuracies below leave them out");
  }

  /**
   * The warning (HTML) for a run whose client updates failed in completed rounds (a client whose
   * training diverged, timed out, was rejected or lost), from the rounds' {@code failures} but for
   * clients that declined as their privacy budget was spent: how many, in how many rounds, and the
   * first one's reason; null if none failed. summary.json's {@code client_fit_failures} counts the
   * same.
   */
  static String fitFailures(List<JsonObject> rounds) {
    return clientFailures(
        rounds,
        RunRecorder::failedUpdates,
        "failures",
        "update",
        "those rounds went on without them");
  }

  /**
   * How many failures {@code of} finds in the rounds (the entries of their array {@code key}), in
   * how many rounds, and the first one's client and reason, as an HTML warning; null if there are
   * none.
   */
  private static String clientFailures(
      List<JsonObject> rounds,
      Function<JsonObject, List<JsonObject>> of,
      String key,
      String noun,
      String consequence) {
    int failures = 0;
    int inRounds = 0;
    JsonObject first = null;
    for (JsonObject r : rounds) {
      List<JsonObject> here = of.apply(r);
      if (!here.isEmpty()) {
        failures += here.size();
        inRounds++;
        if (first == null) {
          first = here.get(0);
        }
      }
    }
    if (first == null) {
      return null;
    }
    return "<b>"
        + failures
        + " client "
        + Main.plural(failures, noun)
        + " failed</b> in "
        + SimulateCommand.roundCount(inRounds)
        + " ("
        + key
        + " in metrics.jsonl); "
        + consequence
        + ". The first: "
        + esc(str(first, "client"))
        + ": "
        + esc(str(first, "reason"))
        + ".";
  }

  /** The report's file name in a run folder. */
  static final String FILE = "report.html";

  /**
   * The start of the report's title, by the command that ran (summary.json's {@code command}):
   * {@code fedpeft simulation} for {@code simulate} (and a run without summary.json), {@code
   * fedpeft server (deployed clients)} for {@code server}, whose clients are other processes.
   */
  static String heading(JsonObject summary) {
    return summary != null && "server".equals(str(summary, "command"))
        ? "fedpeft server (deployed clients)"
        : "fedpeft simulation";
  }

  /**
   * Writes {@code dir/report.html} from the files of a {@code simulate} or {@code server} run;
   * returns its path.
   */
  public static Path write(Path dir) throws IOException {
    List<JsonObject> rounds = new ArrayList<>();
    JsonObject stop = null;
    // round attempts that failed on server.min_clients, with their traffic (summary.json counts it)
    List<JsonObject> failed = new ArrayList<>();
    Path metricsFile = dir.resolve("metrics.jsonl");
    if (Files.isRegularFile(metricsFile)) {
      // The lines a resume keeps: a last line cut while it was appended is left out.
      List<String> lines = RunRecorder.linesToKeep(metricsFile);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (!line.isBlank()) {
          JsonObject o = JsonFiles.parseLine(metricsFile, i + 1, line);
          String event = o.has("event") ? o.get("event").getAsString() : "";
          if (event.equals("round")) {
            rounds.add(o);
          } else if (event.equals(RunRecorder.FAILED_ROUND)) {
            failed.add(o);
          } else if (event.equals("stopped_early")) {
            // Its bytes_up and bytes_down are the traffic of the round that could not complete:
            // the traffic chart draws them as that round's.
            stop = o;
            if (!rounds.isEmpty()
                && o.get("round").equals(rounds.get(rounds.size() - 1).get("round"))) {
              // A run stopped by its privacy budget evaluated its last completed round then, if
              // that round had no evaluation: chart it as that round's.
              JsonObject last = rounds.get(rounds.size() - 1);
              o.entrySet().stream()
                  .filter(e -> !last.has(e.getKey()) && !STOP_OWN.contains(e.getKey()))
                  .forEach(e -> last.add(e.getKey(), e.getValue()));
            }
          }
        }
      }
    }
    JsonObject summary = readJson(dir.resolve("summary.json"));
    JsonObject partition = readJson(dir.resolve("partition.json"));
    JsonObject config = readJson(dir.resolve("config.json"));
    JsonObject manifest = readJson(dir.resolve("manifest.json"));
    int configured =
        config != null && config.has("rounds") ? config.get("rounds").getAsInt() : rounds.size();
    int maxRound = configured;
    for (JsonObject r : rounds) {
      maxRound = Math.max(maxRound, r.get("round").getAsInt());
    }

    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>fedpeft run report</title><style>")
        .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}")
        .append("h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em}")
        .append(".run{color:#555;margin:0 0 1em}.run b{color:#222;font-weight:600}")
        .append(".stop{background:#fff4e5;border:1px solid #f0b46a;padding:.6em 1em}")
        .append("table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;")
        .append("padding:3px 8px;text-align:left}td.n{text-align:right}")
        .append("svg{background:#fafafa;border:1px solid #ddd;display:block}")
        .append(".legend span{display:inline-block;margin-right:1.2em}")
        .append(".caption{color:#444;font-size:.9em;max-width:760px}")
        .append("tr.unused{color:#999}</style></head><body>");
    h.append("<h1>")
        .append(heading(summary))
        .append(": ")
        .append(esc(str(summary, "strategy")))
        .append(" on ")
        .append(esc(str(summary, "task")))
        .append("</h1>");
    h.append(runLine(dir, summary, manifest));
    if (summary != null && summary.has("stopped_early")) {
      int done = summary.has("rounds") ? summary.get("rounds").getAsInt() : rounds.size();
      h.append("<p class=\"stop\"><b>")
          .append(
              done == 0
                  ? "No round completed."
                  : "Stopped early after round " + done + " of " + configured + ".")
          .append("</b> ")
          .append(esc(summary.get("stopped_early").getAsString()))
          .append(
              done == 0
                  ? ". The accuracy below is the untrained initial model's, and the adapter"
                      + " written is that initial model."
                  : ".")
          .append("</p>");
    }
    for (String warning :
        Arrays.asList(noiseOnlyRounds(rounds), fitFailures(rounds), evalFailures(rounds))) {
      if (warning != null) {
        h.append("<p class=\"stop\">").append(warning).append("</p>");
      }
    }
    if (summary != null) {
      if (summary.has("evaluation") && "federated".equals(str(summary, "evaluation"))) {
        h.append("<p class=\"caption\"><b>Federated evaluation.</b> ")
            .append(esc(str(summary, "evaluation_note")))
            .append(". There is no test accuracy of the global model.</p>");
      }
      h.append("<table>");
      for (String k : SUMMARY_KEYS) {
        if (k.equals("rounds_to_target") && summary.has(k) && summary.get(k).isJsonNull()) {
          h.append("<tr><th>").append(k).append("</th><td>not reached</td></tr>");
          continue;
        }
        if (summary.has(k) && !summary.get(k).isJsonNull()) {
          String v =
              k.equals("rounds") && summary.has("rounds_configured")
                  ? roundsValue(summary)
                  : k.equals("precision")
                      ? precision(summary, manifest)
                      : summary.get(k).isJsonObject()
                          ? settings(summary.getAsJsonObject(k))
                          : value(k, summary.get(k));
          h.append("<tr><th>").append(esc(k)).append("</th><td");
          if (k.startsWith("bytes") && summary.get(k).isJsonPrimitive()) {
            h.append(" title=\"")
                .append(String.format(Locale.ROOT, "%,d bytes", summary.get(k).getAsLong()))
                .append('"');
          }
          if (k.equals("epsilon")) {
            v += epsilonBudget(summary, config);
          } else if (k.equals("epsilon_mean") && perClientEpsilons(summary) > 0) {
            v += " (mean over the " + perClientEpsilons(summary) + " clients)";
          }
          h.append('>').append(esc(v)).append("</td></tr>");
        }
        if (k.equals("final_loss")) {
          h.append(finalRanking(summary, config));
        }
      }
      h.append("</table>");
      h.append(retentionTable(summary));
    } else {
      h.append("<p>No summary.json: the run has not finished.</p>");
    }

    if (rounds.isEmpty()) {
      h.append("<h2>Metrics per round</h2><p>No round completed, so there are no metrics to")
          .append(" plot.</p>");
      if ((stop != null && attemptTraffic(stop) != null)
          || failed.stream().anyMatch(f -> attemptTraffic(f) != null)) {
        h.append(trafficChart(rounds, failed, stop, maxRound));
      }
    } else {
      h.append(metricCharts(rounds, maxRound, clientMeanName(summary)));
      h.append(perClientCharts(rounds));
      h.append(assignments(rounds, maxRound));
      h.append(trafficChart(rounds, failed, stop, maxRound));
      h.append(privacyChart(rounds, maxRound));
    }
    if (partition != null && partition.has("data")) {
      h.append("<h2>Label distribution per client (training partition)</h2><p>")
          .append(esc(partition.get("data").getAsString()))
          .append(".</p>");
    } else if (partition != null) {
      h.append("<h2>Label distribution per client (training partition)</h2>")
          .append(labelGrid(partition))
          .append(naturalGroups(partition));
    }
    if (config != null) {
      h.append(configTable(config));
    }
    h.append("</body></html>\n");
    Path file = dir.resolve(FILE);
    AtomicFiles.writeString(file, h.toString());
    return file;
  }

  /**
   * The configuration table: every key of config.json with its value, a key whose value the run did
   * not read ({@link SimulationConfig#unusedKeys}: {@code data.task} beside {@code data.file}, the
   * other DP mode's keys, ...) greyed and saying why, {@code not used (data.file is set)}. The keys
   * stay listed, as config.json holds them, so that the table is the file a resume reads; a
   * config.json that no longer loads is listed without the marks.
   */
  static String configTable(JsonObject config) {
    Map<String, String> unused;
    try {
      unused = SimulationConfig.fromJson(config.toString()).unusedKeys();
    } catch (RuntimeException e) {
      unused = Map.of();
    }
    StringBuilder h = new StringBuilder("<h2>Configuration</h2>");
    if (!unused.isEmpty()) {
      h.append("<p class=\"caption\">Greyed: keys that this run did not read (config.json holds")
          .append(" every key).</p>");
    }
    h.append("<table>");
    for (var e : new TreeMap<>(config.asMap()).entrySet()) {
      String why = unused.get(e.getKey());
      h.append(why == null ? "<tr>" : "<tr class=\"unused\">")
          .append("<th>")
          .append(esc(e.getKey()))
          .append("</th><td>")
          .append(esc(configValue(e.getValue())));
      if (why != null) {
        h.append(" <i>not used (").append(esc(why)).append(")</i>");
      }
      h.append("</td></tr>");
    }
    return h.append("</table>").toString();
  }

  /**
   * The legend of the clients' mean (beside a global metric, or alone in a run without a test
   * split): what the clients evaluated, which for a run whose clients keep LOCAL tensors (FedDPA,
   * FedSA-LoRA, ...: summary.json's {@link Simulation#CLIENTS_KEEP_LOCAL_TENSORS}, written by
   * {@code simulate} and {@code server} alike, or the {@code client_adapters_dir} of a simulation
   * that wrote none) is each client's own model rather than the global one.
   */
  static String clientMeanName(JsonObject summary) {
    return summary != null
            && (summary.has(Simulation.CLIENTS_KEEP_LOCAL_TENSORS)
                || summary.has("client_adapters_dir"))
        ? "mean over clients' held-out data, each client's own model (global tensors plus its"
            + " LOCAL ones)"
        : "mean over clients' held-out data";
  }

  /**
   * The summary table's rounds: {@code 4 of 4}, and when rounds were skipped (Poisson client
   * sampling drew fewer than server.min_clients: nothing trained, the global model did not move)
   * how many, {@code 4 of 4 (3 skipped: nothing trained)}, so that the row does not claim rounds of
   * training that did not happen.
   */
  static String roundsValue(JsonObject summary) {
    String v =
        summary.get("rounds").getAsInt() + " of " + summary.get("rounds_configured").getAsInt();
    int skipped =
        summary.has("rounds_skipped") && summary.get("rounds_skipped").isJsonPrimitive()
            ? summary.get("rounds_skipped").getAsInt()
            : 0;
    return skipped > 0 ? v + " (" + skipped + " skipped: nothing trained)" : v;
  }

  /**
   * The precision the run computed in (summary.json), with {@code model.precision = "auto"}'s
   * reason when manifest.json records one for the same precision, e.g. {@code bf16 (auto: this CPU
   * reports avx512_bf16)}.
   */
  static String precision(JsonObject summary, JsonObject manifest) {
    String p = summary.get("precision").getAsString();
    if (manifest != null
        && manifest.has("precision")
        && manifest.get("precision").isJsonPrimitive()) {
      String m = manifest.get("precision").getAsString();
      if (m.startsWith(p + " (auto: ")) {
        return m;
      }
    }
    return p;
  }

  /**
   * What follows the epsilon spent in the summary table. Under sample-level DP (summary.json's
   * {@code epsilon_per_client}) the epsilon is the largest over the clients, which it says: {@code
   * (largest over the 4 clients; budget of each: privacy.epsilon = 8.0)}; under client-level DP it
   * is the run's: {@code (budget: privacy.epsilon = 8.0)}. The budget comes from {@code
   * config.json}; {@code no budget: privacy.epsilon = 0} when there is none.
   */
  static String epsilonBudget(JsonObject summary, JsonObject config) {
    int clients = perClientEpsilons(summary);
    List<String> parts = new ArrayList<>();
    if (clients > 0) {
      parts.add("largest over the " + clients + " clients");
    }
    if (config != null && config.has("privacy.epsilon")) {
      JsonElement budget = config.get("privacy.epsilon");
      parts.add(
          budget.getAsDouble() > 0
              ? (clients > 0 ? "budget of each: " : "budget: ")
                  + "privacy.epsilon = "
                  + configValue(budget)
              : "no budget: privacy.epsilon = 0");
    }
    return parts.isEmpty() ? "" : " (" + String.join("; ", parts) + ")";
  }

  /**
   * How many clients summary.json's {@code epsilon_per_client} holds (sample-level DP: each client
   * spends its own epsilon), or 0 without it.
   */
  static int perClientEpsilons(JsonObject summary) {
    return summary != null
            && summary.has("epsilon_per_client")
            && summary.get("epsilon_per_client").isJsonObject()
        ? summary.getAsJsonObject("epsilon_per_client").size()
        : 0;
  }

  /**
   * Rows of the summary table for a retrieval run's final ranking metrics (summary.json's {@code
   * final_metrics}: recall@5, recall@10, MRR beside final_accuracy, which is then top-1), naming
   * how they were scored (config.json's client.objective: {@link SimulateCommand#retrievalScorer});
   * empty for other runs.
   */
  static String finalRanking(JsonObject summary, JsonObject config) {
    if (!summary.has("final_metrics") || !summary.get("final_metrics").isJsonObject()) {
      return "";
    }
    JsonObject fm = summary.getAsJsonObject("final_metrics");
    StringBuilder h = new StringBuilder();
    for (String k : List.of("recall@5", "recall@10", "mrr")) {
      if (fm.has(k) && fm.get(k).isJsonPrimitive()) {
        h.append("<tr><th>final ")
            .append(esc(k))
            .append("</th><td>")
            .append(esc(value("final_accuracy", fm.get(k))))
            .append(
                k.equals("recall@5")
                    ? " (retrieval by "
                        + SimulateCommand.retrievalScorer(SimulateCommand.contrastive(config))
                        + "; final_accuracy is top-1)</td></tr>"
                    : "</td></tr>");
      }
    }
    return h.toString();
  }

  /**
   * The summary's {@code retention} (eval.retention) as a table: per part its task, the base
   * model's accuracy, the adapted model's, their ratio and the examples; empty without it.
   */
  static String retentionTable(JsonObject summary) {
    if (!summary.has("retention") || !summary.get("retention").isJsonObject()) {
      return "";
    }
    JsonObject r = summary.getAsJsonObject("retention");
    StringBuilder h = new StringBuilder("<h2>Retention of the base model's general ability</h2>");
    h.append("<p class=\"caption\">Sentence embeddings only (mean pooling, L2 normalisation, no")
        .append(" head), base model (before) and with the trained adapter (after). Retrieval:")
        .append(" top-1 cosine nearest neighbour of each query among the corpus documents.")
        .append(" Centroid: nearest-centroid accuracy on a task the fine-tuning did not see.</p>")
        .append("<table><tr><th>part</th><th>task</th><th>before</th><th>after</th>")
        .append("<th>after / before</th><th>examples</th></tr>");
    for (String part : List.of("retrieval", "centroid")) {
      if (!r.has(part) || !r.get(part).isJsonObject()) {
        continue;
      }
      JsonObject p = r.getAsJsonObject(part);
      h.append("<tr><th>").append(part).append("</th><td>").append(esc(str(p, "task")));
      for (String k : List.of("before", "after", "ratio", "examples")) {
        JsonElement v = p.get(k);
        h.append("</td><td class=\"n\">")
            .append(v == null || v.isJsonNull() ? "-" : esc(value(k, v)));
      }
      h.append("</td></tr>");
    }
    JsonElement mean = r.get("mean_ratio");
    if (mean != null && !mean.isJsonNull()) {
      h.append("<tr><th>mean</th><td></td><td></td><td></td><td class=\"n\">")
          .append(esc(value("mean_ratio", mean)))
          .append("</td><td></td></tr>");
    }
    return h.append("</table>").toString();
  }

  /**
   * A commit as the report's header shows it: its first 10 hex digits, keeping a "+dirty" suffix (a
   * build from uncommitted changes); anything else ("unknown") as it is.
   */
  static String shortCommit(String commit) {
    String dirty = "+dirty";
    String sha =
        commit.endsWith(dirty) ? commit.substring(0, commit.length() - dirty.length()) : commit;
    if (sha.length() <= 10 || !sha.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
      return commit;
    }
    return sha.substring(0, 10) + (sha.equals(commit) ? "" : dirty);
  }

  /** The line under the title: finish date, wall time, seed, commit and versions. */
  private static String runLine(Path dir, JsonObject summary, JsonObject manifest)
      throws IOException {
    List<String> parts = new ArrayList<>();
    Path summaryFile = dir.resolve("summary.json");
    if (Files.isRegularFile(summaryFile)) {
      parts.add(
          "finished <b>"
              + DATE.format(Files.getLastModifiedTime(summaryFile).toInstant())
              + "</b>");
    }
    Path manifestFile = dir.resolve("manifest.json");
    if (Files.isRegularFile(manifestFile)) {
      parts.add("started " + DATE.format(Files.getLastModifiedTime(manifestFile).toInstant()));
    }
    if (summary != null && summary.has("seconds_this_process")) {
      String wall =
          "wall time <b>" + duration(summary.get("seconds_this_process").getAsDouble()) + "</b>";
      double[] t = roundSeconds(dir.resolve("timings.jsonl"));
      double self = summary.get("seconds_this_process").getAsDouble();
      if (t[1] > 0 || t[2] > self + 1) {
        // Rounds redone after a resume appear twice in timings.jsonl; and one process cannot
        // spend longer in its rounds than its wall time.
        wall += " in the last process (resumed; rounds in all processes: " + duration(t[0]) + ")";
      }
      parts.add(wall);
    }
    if (manifest != null) {
      if (manifest.has("seed")) {
        parts.add("seed <b>" + esc(manifest.get("seed").getAsString()) + "</b>");
      }
      if (manifest.has("git_commit") && !manifest.get("git_commit").isJsonNull()) {
        String c = manifest.get("git_commit").getAsString();
        parts.add("commit <b title=\"" + esc(c) + "\">" + esc(shortCommit(c)) + "</b>");
      }
      if (manifest.has("fedpeft_version")) {
        parts.add("fedpeft " + esc(manifest.get("fedpeft_version").getAsString()));
      }
      if (manifest.has("pytorch")) {
        parts.add("PyTorch " + esc(manifest.get("pytorch").getAsString()));
      }
      if (manifest.has("cpus")) {
        parts.add(esc(manifest.get("cpus").getAsString()) + " CPUs");
      }
    }
    return parts.isEmpty() ? "" : "<p class=\"run\">" + String.join(" &middot; ", parts) + "</p>";
  }

  /**
   * {sum over rounds of round and evaluation seconds (the last line of each round, plus a {@code
   * released_on_resume} line after it), number of rounds that appear more than once or have a
   * {@code released_on_resume} line (either means the run was resumed), sum over all lines}.
   */
  private static double[] roundSeconds(Path timings) throws IOException {
    if (!Files.isRegularFile(timings)) {
      return new double[] {0, 0, 0};
    }
    Map<Integer, Double> last = new TreeMap<>();
    int repeated = 0;
    double all = 0;
    // The lines a resume keeps: a last line cut while it was appended is left out (and the file
    // left as it is: a finished run appends nothing more).
    List<String> lines = RunRecorder.linesToKeep(timings);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      JsonObject o = JsonFiles.parseLine(timings, i + 1, line);
      double s = num(o, "round_seconds") + num(o, "eval_seconds");
      all += s;
      int round = o.get("round").getAsInt();
      if (has(o, "event") && Simulation.RELEASED_ON_RESUME.equals(o.get("event").getAsString())) {
        // A checkpointed round evaluated again by the resumed process: its time adds to the
        // round's, which the killed process timed (if it got that far).
        last.merge(round, s, Double::sum);
        repeated++;
      } else if (last.put(round, s) != null) {
        repeated++;
      }
    }
    return new double[] {
      last.values().stream().mapToDouble(Double::doubleValue).sum(), repeated, all
    };
  }

  private static double num(JsonObject o, String k) {
    return has(o, k) ? o.get(k).getAsDouble() : 0;
  }

  /** Accuracy, loss, and one chart for every other numeric key of the round lines. */
  private static String metricCharts(List<JsonObject> rounds, int maxRound, String clientMean) {
    Set<String> keys = new LinkedHashSet<>();
    for (JsonObject r : rounds) {
      for (Map.Entry<String, JsonElement> e : r.entrySet()) {
        if (e.getValue().isJsonPrimitive() && e.getValue().getAsJsonPrimitive().isNumber()) {
          keys.add(e.getKey());
        }
      }
    }
    StringBuilder h = new StringBuilder();
    // A metric m and, when present, the mean of the same metric over the clients' held-out data.
    List<String> primary = new ArrayList<>();
    if (keys.contains("accuracy")) {
      primary.add("accuracy");
    }
    // A run without a test split: the clients' mean on their held-out data is its accuracy.
    boolean federated = !keys.contains("accuracy") && keys.contains("client_accuracy_mean");
    if (federated) {
      primary.add("client_accuracy_mean");
    }
    // Multi-task runs: each task's accuracy (and loss) in one chart, and P beside TTP.
    List<String> taskAccuracy = new ArrayList<>();
    List<String> taskLoss = new ArrayList<>();
    List<String> personal = new ArrayList<>();
    for (String k : keys) {
      if (k.startsWith("accuracy.")) {
        taskAccuracy.add(k);
      } else if (k.startsWith("loss.")) {
        taskLoss.add(k);
      } else if (k.equals("personalization") || k.equals("test_time_personalization")) {
        personal.add(k);
      } else if (!DRAWN_ELSEWHERE.contains(k)
          && !k.equals("accuracy")
          && !isClientMean(k, keys)
          && !(federated && k.equals("client_accuracy_mean"))) {
        primary.add(k);
      }
    }
    String grouped =
        groupChart(
                "Accuracy of each task per round (global model, test split)",
                "accuracy.",
                taskAccuracy,
                rounds,
                maxRound,
                "accuracy")
            + groupChart(
                "Loss of each task per round (global model, test split)",
                "loss.",
                taskLoss,
                rounds,
                maxRound,
                "loss")
            + groupChart(
                "P and TTP per round (mean over the evaluated clients)",
                "",
                personal,
                rounds,
                maxRound,
                "accuracy");
    boolean lossDrawn = false;
    for (String k : primary) {
      List<List<double[]>> series = new ArrayList<>();
      List<String> names = new ArrayList<>();
      series.add(series(rounds, k));
      names.add(
          k.equals("accuracy")
              ? "global model, test split"
              : federated && k.equals("client_accuracy_mean")
                  ? clientMean + " (federated evaluation)"
                  : k);
      String mean = "client_" + k + "_mean";
      if (keys.contains(mean)) {
        series.add(series(rounds, mean));
        names.add(clientMean);
      }
      boolean accuracy = k.equals("accuracy") || (federated && k.equals("client_accuracy_mean"));
      String title =
          k.equals("accuracy")
              ? "Accuracy per round"
              : accuracy
                  ? "Accuracy per round (federated evaluation: no test split)"
                  : esc(k) + " per round";
      h.append("<h2>").append(title).append("</h2>");
      h.append(lineChart(series, names, maxRound, accuracy ? "accuracy" : k));
      if (accuracy) {
        h.append(lossChart(rounds, keys, maxRound, clientMean));
        lossDrawn = true;
        h.append(grouped);
        grouped = "";
      }
    }
    if (!lossDrawn) {
      h.append(lossChart(rounds, keys, maxRound, clientMean));
    }
    return h.append(grouped).toString();
  }

  /** One line chart of several round-line keys (named without {@code prefix}), or nothing. */
  private static String groupChart(
      String title,
      String prefix,
      List<String> keys,
      List<JsonObject> rounds,
      int maxRound,
      String yl) {
    if (keys.isEmpty()) {
      return "";
    }
    List<List<double[]>> series = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (String k : keys) {
      series.add(series(rounds, k));
      names.add(k.substring(prefix.length()));
    }
    return "<h2>" + esc(title) + "</h2>" + lineChart(series, names, maxRound, yl);
  }

  private static boolean isClientMean(String k, Set<String> keys) {
    return k.startsWith("client_")
        && k.endsWith("_mean")
        && keys.contains(k.substring(7, k.length() - 5));
  }

  private static String lossChart(
      List<JsonObject> rounds, Set<String> keys, int maxRound, String clientMean) {
    if (!keys.contains("loss") && !keys.contains("train_loss")) {
      return "";
    }
    return lossChartOf(rounds, keys, maxRound, clientMean) + noTrainingLoss(keys);
  }

  /**
   * The caption under the loss chart of a run whose clients reported no training loss (clients
   * under sample-level DP never do: it is computed on their raw examples); empty otherwise.
   */
  static String noTrainingLoss(Set<String> keys) {
    return keys.contains("train_loss")
        ? ""
        : "<p class=\"caption\">No clients' training loss: the clients reported none (clients"
            + " under sample-level DP never do, as it is computed on their raw examples).</p>";
  }

  private static String lossChartOf(
      List<JsonObject> rounds, Set<String> keys, int maxRound, String clientMean) {
    if (!keys.contains("loss") && keys.contains("client_loss_mean")) {
      return "<h2>Loss per round</h2>"
          + lineChart(
              List.of(series(rounds, "train_loss"), series(rounds, "client_loss_mean")),
              List.of("clients' training loss", clientMean),
              maxRound,
              "loss");
    }
    return "<h2>Loss per round</h2>"
        + lineChart(
            List.of(series(rounds, "train_loss"), series(rounds, "loss")),
            List.of("clients' training loss", "global model, test loss"),
            maxRound,
            "loss");
  }

  /**
   * Above this many clients with a value, a per-client map is drawn as its distribution ({@link
   * #distribution}) instead of one bar per client.
   */
  static final int MAX_CLIENT_BARS = 200;

  /** The ranges of {@link #distribution}'s histogram. */
  private static final int HISTOGRAM_RANGES = 20;

  /**
   * The last value of every per-client map (such as client_accuracy) in which a client has a value:
   * a bar chart with one bar per client, or, for more than {@value #MAX_CLIENT_BARS} clients, its
   * distribution ({@link #distribution}), so that the chart stays readable and its size bounded at
   * any number of evaluated clients. The heading names the round shown, and says it is the last
   * with any client's value when a later round's map has none (every client's evaluation failed); a
   * map with no value in any round has no chart.
   */
  static String perClientCharts(List<JsonObject> rounds) {
    Map<String, JsonObject> last = new LinkedHashMap<>();
    Map<String, Integer> lastRound = new LinkedHashMap<>();
    Set<String> emptySince =
        new LinkedHashSet<>(); // maps with no value in a round after lastRound's
    for (JsonObject r : rounds) {
      for (Map.Entry<String, JsonElement> e : r.entrySet()) {
        // The strategy's record is not one metric per client: assignments() shows it.
        if (e.getKey().equals(STRATEGY)) {
          continue;
        }
        if (e.getValue().isJsonObject() && numericMap(e.getValue().getAsJsonObject())) {
          JsonObject map = e.getValue().getAsJsonObject();
          if (map.asMap().values().stream().allMatch(JsonElement::isJsonNull)) {
            emptySince.add(e.getKey());
            continue;
          }
          last.put(e.getKey(), map);
          lastRound.put(e.getKey(), r.get("round").getAsInt());
          emptySince.remove(e.getKey());
        }
      }
    }
    StringBuilder h = new StringBuilder();
    for (Map.Entry<String, JsonObject> e : last.entrySet()) {
      List<String> names = new ArrayList<>();
      List<Double> vals = new ArrayList<>();
      for (Map.Entry<String, JsonElement> c : byClient(e.getValue().asMap()).entrySet()) {
        if (!c.getValue().isJsonNull()) {
          names.add(c.getKey());
          vals.add(c.getValue().getAsDouble());
        }
      }
      String metric = e.getKey().startsWith("client_") ? e.getKey().substring(7) : e.getKey();
      h.append("<h2>Per-client ")
          .append(esc(metric))
          .append(" (round ")
          .append(lastRound.get(e.getKey()))
          .append(emptySince.contains(e.getKey()) ? ", the last with any client's value" : "")
          .append(": ")
          .append(perClientCaption(metric))
          .append(")</h2>")
          .append(
              names.size() <= MAX_CLIENT_BARS
                  ? barChart(names, vals, metric)
                  : distribution(vals, metric));
    }
    return h.toString();
  }

  /**
   * The values of many clients as a caption and a histogram: the caption gives their number,
   * smallest and largest value, quartiles (linear interpolation between the sorted values) and mean
   * (if all are equal, that value alone); the histogram has a bar per range, {@value
   * #HISTOGRAM_RANGES} equal ranges from the smallest value to the largest (one if all are equal),
   * whose height is the number of clients in it (a value on a boundary counts in the range above
   * it, the largest in the last).
   */
  static String distribution(List<Double> values, String metric) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = v.length;
    double lo = v[0];
    double hi = v[n - 1];
    int ranges = hi > lo ? HISTOGRAM_RANGES : 1;
    double width = (hi - lo) / ranges;
    long[] counts = new long[ranges];
    for (double x : v) {
      counts[ranges == 1 ? 0 : (int) Math.min(ranges - 1, Math.floor((x - lo) / width))]++;
    }
    List<String> names = new ArrayList<>();
    List<Double> heights = new ArrayList<>();
    for (int b = 0; b < ranges; b++) {
      names.add(
          ranges == 1
              ? number(lo)
              : number(lo + b * width) + " to " + number(lo + (b + 1) * width));
      heights.add((double) counts[b]);
    }
    double sum = 0;
    for (double x : v) {
      sum += x;
    }
    String caption =
        ranges == 1
            ? ", every one with " + esc(metric) + " " + number(lo) + "."
            : ": the chart counts the clients whose "
                + esc(metric)
                + " falls in each of "
                + ranges
                + " equal ranges from the smallest value to the largest. Smallest "
                + number(lo)
                + ", quartiles "
                + number(quantile(v, 0.25))
                + " / "
                + number(quantile(v, 0.5))
                + " (median) / "
                + number(quantile(v, 0.75))
                + ", largest "
                + number(hi)
                + "; mean "
                + number(sum / n)
                + ".";
    return "<p class=\"caption\">"
        + String.format(Locale.ROOT, "%,d", n)
        + " clients, too many for a bar each"
        + caption
        + " metrics.jsonl holds every client's value.</p>"
        + barChart(
            names, heights, "clients", c -> String.format(Locale.ROOT, "%,d", c.longValue()));
  }

  /** The {@code q} quantile of sorted values, interpolated linearly between the two nearest. */
  static double quantile(double[] sorted, double q) {
    double at = q * (sorted.length - 1);
    int i = (int) Math.floor(at);
    return i + 1 < sorted.length
        ? sorted[i] + (at - i) * (sorted[i + 1] - sorted[i])
        : sorted[sorted.length - 1];
  }

  /** The round lines' record of the server strategy ({@code strategy.<key>} in the docs). */
  private static final String STRATEGY = "strategy";

  /** The round lines' per-client record of the adapters (Ravan: the heads each client trained). */
  private static final String CLIENT_ADAPTER = "client_adapter";

  /**
   * The client whose id ends {@code key} after a dot ({@code fedbe.blocks.client-3}: client-3), the
   * last in {@code clients}' order if several do, or null. Looks up each suffix of the key that
   * follows a dot, so the work grows with the key's length, not with the number of clients.
   */
  private static String clientSuffix(String key, SortedSet<String> clients) {
    String client = null;
    for (int dot = key.indexOf('.'); dot >= 0; dot = key.indexOf('.', dot + 1)) {
      String c = key.substring(dot + 1);
      if (clients.contains(c) && (client == null || clients.comparator().compare(c, client) > 0)) {
        client = c;
      }
    }
    return client;
  }

  /** The most rows the table of what each client trained lists ({@link #assignments}). */
  static final int MAX_ASSIGNMENT_ROWS = 500;

  /**
   * What each sampled client trained in each round, as a table, and the strategy's per-round
   * numbers as charts: Ravan's heads ({@code client_adapter}: {@code heads_mask}, bit i = head i),
   * FedBE's blocks ({@code strategy}: {@code fedbe.blocks.<client>}, bit j = block j) and any other
   * per-client value of the strategy (HetLoRA's {@code hetlora.rank.<client>}, ...); FedBE's
   * coverage ({@code fedbe.coverage.<j>}) and the strategy's other round values one chart per name.
   * The table lists its first {@value #MAX_ASSIGNMENT_ROWS} rows (a row per client and round, in
   * round order) and says how many it left out. Empty for runs that record none.
   */
  static String assignments(List<JsonObject> rounds, int maxRound) {
    boolean heads = false;
    boolean blocks = false;
    // round -> client -> what it trained, in words
    Map<Integer, Map<String, List<String>>> table = new TreeMap<>();
    // strategy values that are not per client, grouped by name without a trailing ".<index>"
    Map<String, List<String>> groups = new TreeMap<>();
    for (JsonObject r : rounds) {
      int round = r.get("round").getAsInt();
      SortedSet<String> clients = new java.util.TreeSet<>(NaturalOrder.INSTANCE);
      if (r.has("sampled") && r.get("sampled").isJsonArray()) {
        r.getAsJsonArray("sampled").forEach(c -> clients.add(c.getAsString()));
      }
      if (r.has(CLIENT_ADAPTER) && r.get(CLIENT_ADAPTER).isJsonObject()) {
        for (var c : r.getAsJsonObject(CLIENT_ADAPTER).entrySet()) {
          if (!c.getValue().isJsonObject()) {
            continue;
          }
          clients.add(c.getKey());
          JsonObject m = c.getValue().getAsJsonObject();
          List<String> what =
              table
                  .computeIfAbsent(round, x -> new TreeMap<>(NaturalOrder.INSTANCE))
                  .computeIfAbsent(c.getKey(), x -> new ArrayList<>());
          for (var e : new TreeMap<>(m.asMap()).entrySet()) {
            if (!e.getValue().isJsonPrimitive()) {
              continue;
            }
            if (e.getKey().equals("heads_mask")) {
              what.add(bits("head", e.getValue().getAsLong()));
              heads = true;
            } else if (!(e.getKey().equals("heads_trained") && m.has("heads_mask"))) {
              what.add(e.getKey() + " " + count(e.getValue().getAsDouble()));
            }
          }
        }
      }
      if (r.has(STRATEGY) && r.get(STRATEGY).isJsonObject()) {
        for (var e : r.getAsJsonObject(STRATEGY).entrySet()) {
          if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isNumber()) {
            continue;
          }
          String k = e.getKey();
          String client = clientSuffix(k, clients);
          if (client == null) {
            String group = k.replaceFirst("\\.\\d+$", "");
            if (!groups.computeIfAbsent(group, x -> new ArrayList<>()).contains(k)) {
              groups.get(group).add(k);
            }
            continue;
          }
          String name = k.substring(0, k.length() - client.length() - 1);
          List<String> what =
              table
                  .computeIfAbsent(round, x -> new TreeMap<>(NaturalOrder.INSTANCE))
                  .computeIfAbsent(client, x -> new ArrayList<>());
          if (name.equals("fedbe.blocks")) {
            what.add(bits("block", e.getValue().getAsLong()));
            blocks = true;
          } else {
            what.add(name + " " + count(e.getValue().getAsDouble()));
          }
        }
      }
    }
    StringBuilder h = new StringBuilder();
    if (!table.isEmpty()) {
      h.append("<h2>What each client trained, per round</h2><p class=\"caption\">");
      if (heads) {
        h.append("Ravan: the heads i (numbered from 0) whose cores H_i the client trained and")
            .append(" uploaded, round(budget &times; adapter.heads) of them (client.budgets),")
            .append(" chosen by adapter.head_selection; the server averages each core over the")
            .append(" clients that trained it, and a head nobody trained keeps its value. ");
      }
      if (blocks) {
        h.append("FedBE: the new blocks j (numbered from 0, the lowest) the server assigned the")
            .append(" client and the client sent, ceil(adapter.blocks &times; budget) of them")
            .append(" (client.budgets), chosen by adapter.allocation; each block is averaged over")
            .append(" the clients that trained it, and a block nobody trained keeps its value. ");
      }
      h.append("Other entries are the values the adapter or the server strategy recorded for")
          .append(" the client in metrics.jsonl (client_adapter, strategy).</p>")
          .append("<table><tr><th>round</th><th>client</th><th>trained</th></tr>");
      int rows = 0;
      int listed = 0;
      int lastRound = 0;
      for (var r : table.entrySet()) {
        rows += r.getValue().size();
        boolean first = true;
        for (var c : r.getValue().entrySet()) {
          if (listed == MAX_ASSIGNMENT_ROWS) {
            break;
          }
          listed++;
          lastRound = r.getKey();
          h.append("<tr>");
          if (first) {
            h.append("<td class=\"n\" rowspan=\"")
                .append(Math.min(r.getValue().size(), MAX_ASSIGNMENT_ROWS - listed + 1))
                .append("\">")
                .append(r.getKey())
                .append("</td>");
            first = false;
          }
          h.append("<td>")
              .append(esc(c.getKey()))
              .append("</td><td>")
              .append(esc(String.join("; ", c.getValue())))
              .append("</td></tr>");
        }
      }
      h.append("</table>");
      if (listed < rows) {
        h.append("<p class=\"caption\">The table lists its first ")
            .append(String.format(Locale.ROOT, "%,d", listed))
            .append(" of ")
            .append(String.format(Locale.ROOT, "%,d", rows))
            .append(" rows (a row per client and round, up to round ")
            .append(lastRound)
            .append("); metrics.jsonl holds every round's (client_adapter, strategy).</p>");
      }
    }
    for (var g : groups.entrySet()) {
      List<List<double[]>> series = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (String k : g.getValue()) {
        List<double[]> points = new ArrayList<>();
        for (JsonObject r : rounds) {
          if (r.has(STRATEGY)
              && r.get(STRATEGY).isJsonObject()
              && r.getAsJsonObject(STRATEGY).has(k)) {
            points.add(
                new double[] {
                  r.get("round").getAsInt(), r.getAsJsonObject(STRATEGY).get(k).getAsDouble()
                });
          }
        }
        series.add(points);
        names.add(
            g.getKey().equals("fedbe.coverage")
                ? "block " + k.substring(g.getKey().length() + 1)
                : k);
      }
      h.append("<h2>").append(esc(g.getKey())).append(" per round (server strategy)</h2>");
      if (g.getKey().equals("fedbe.coverage")) {
        h.append("<p class=\"caption\">FedBE's coverage of each new block after the round: the")
            .append(" count of clients that trained it, multiplied by adapter.coverage_decay")
            .append(" every round; adapter.allocation = coverage gives the least covered blocks")
            .append(" first.</p>");
      }
      h.append(lineChart(series, names, maxRound, g.getKey()));
    }
    return h.toString();
  }

  /** A whole number as one ("4"), anything else as {@link #number} gives it. */
  private static String count(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : number(v);
  }

  /** The set bits of {@code mask} as "head 2" or "heads 0, 1, 3". */
  static String bits(String noun, long mask) {
    List<String> on = new ArrayList<>();
    for (int i = 0; i < 63; i++) {
      if ((mask >>> i & 1) == 1) {
        on.add(Integer.toString(i));
      }
    }
    if (on.isEmpty()) {
      return "no " + Main.plural(0, noun);
    }
    return Main.plural(on.size(), noun) + " " + String.join(", ", on);
  }

  /** What a per-client map measures. */
  private static String perClientCaption(String metric) {
    String model = "each client's model (the global tensors plus its own LOCAL ones, if any)";
    return switch (metric) {
      case "personalization" -> model + " on the test split of its own task";
      case "test_time_personalization" -> model + ", mean accuracy over every task's test split";
      case "accuracy" -> model + " on its held-out data";
      default -> "per client";
    };
  }

  private static boolean numericMap(JsonObject o) {
    if (o.size() == 0) {
      return false;
    }
    for (Map.Entry<String, JsonElement> e : o.entrySet()) {
      JsonElement v = e.getValue();
      if (!v.isJsonNull() && !(v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber())) {
        return false;
      }
    }
    return true;
  }

  private static String privacyChart(List<JsonObject> rounds, int maxRound) {
    List<double[]> epsilon = series(rounds, "epsilon");
    List<double[]> epsilonMean = series(rounds, "epsilon_mean");
    if (epsilon.isEmpty()) {
      return "";
    }
    if (!epsilonMean.isEmpty()) {
      return "<h2>Privacy budget spent (each client's epsilon after each round)</h2>"
          + lineChart(
              List.of(epsilon, epsilonMean),
              List.of("largest over clients, at the run's delta", "mean over all clients"),
              maxRound,
              "epsilon");
    }
    return "<h2>Privacy budget spent (epsilon after each round)</h2>"
        + lineChart(List.of(epsilon), List.of("epsilon at the run's delta"), maxRound, "epsilon");
  }

  private static List<double[]> series(List<JsonObject> rounds, String key) {
    List<double[]> s = new ArrayList<>();
    for (JsonObject r : rounds) {
      if (has(r, key)) {
        s.add(new double[] {r.get("round").getAsDouble(), r.get(key).getAsDouble()});
      }
    }
    return s;
  }

  private static boolean has(JsonObject o, String k) {
    return o.has(k)
        && o.get(k).isJsonPrimitive()
        && o.get(k).getAsJsonPrimitive().isNumber()
        && Double.isFinite(o.get(k).getAsDouble());
  }

  private static JsonObject readJson(Path p) throws IOException {
    return Files.isRegularFile(p) ? org.fedpeft.io.JsonFiles.readObject(p) : null;
  }

  private static String str(JsonObject o, String k) {
    return o != null && o.has(k) ? o.get(k).getAsString() : "?";
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  // ---- numbers for reading ----

  /** A summary value for reading: bytes in kB/MB, seconds as a duration, 3 significant digits. */
  static String value(String key, JsonElement v) {
    if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
      return v.isJsonPrimitive() ? v.getAsString() : v.toString();
    }
    double d = v.getAsDouble();
    if (key.contains("bytes")) {
      return bytes(d);
    }
    if (key.contains("seconds")) {
      return duration(d);
    }
    String raw = v.getAsString();
    if (!raw.contains(".") && !raw.contains("e") && !raw.contains("E")) {
      return String.format(Locale.ROOT, "%,d", v.getAsLong());
    }
    return number(d);
  }

  /** 3 significant digits, at most 3 decimals for values of 0.01 and more: 0.988, 2.41, 1e-05. */
  static String number(double v) {
    if (!Double.isFinite(v)) {
      return Double.isNaN(v) ? "NaN" : (v > 0 ? "∞" : "-∞");
    }
    double a = Math.abs(v);
    if (a == 0) {
      return "0";
    }
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 0.01) {
      int decimals = Math.max(0, Math.min(3, 2 - (int) Math.floor(Math.log10(a))));
      return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
    return String.format(Locale.ROOT, "%.2e", v).replaceAll("\\.?0+e", "e");
  }

  /** Decimal byte units: 26.9 MB. */
  static String bytes(double b) {
    String[] units = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    double v = b;
    while (Math.abs(v) >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    if (u == 0) {
      return String.format(Locale.ROOT, "%.0f B", v);
    }
    return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
  }

  /** 4.2 s, 5 min 12 s, 2 h 03 min. */
  static String duration(double seconds) {
    if (seconds < 60) {
      return String.format(Locale.ROOT, seconds < 10 ? "%.1f s" : "%.0f s", seconds);
    }
    long s = Math.round(seconds);
    if (s < 3600) {
      return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
  }

  /**
   * Settings by name, each value as the configuration table shows it ({@link #configValue}): {@code
   * alpha = 16.0, rank = 8, targets = query+value} (summary.json's {@code
   * adapter_options_resolved}).
   */
  static String settings(JsonObject o) {
    List<String> parts = new ArrayList<>();
    for (var e : o.entrySet()) {
      parts.add(e.getKey() + " = " + configValue(e.getValue()));
    }
    return String.join(", ", parts);
  }

  private static String configValue(JsonElement v) {
    if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
      String raw = v.getAsString();
      // Settings are shown as given, except that Java's 1.0E-5 reads better as 1e-05.
      return raw.contains("E") ? number(v.getAsDouble()) : raw;
    }
    return v.isJsonPrimitive() ? v.getAsString() : v.toString();
  }

  // ---- axes ----

  /** Ticks at a round step (1, 2, 2.5 or 5 times a power of ten) covering [lo, hi]. */
  static double[] niceTicks(double lo, double hi, int maxIntervals) {
    if (!(hi > lo)) {
      hi = lo + 1;
    }
    double raw = (hi - lo) / maxIntervals;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = 10 * mag;
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * mag >= raw * (1 - 1e-9)) {
        step = m * mag;
        break;
      }
    }
    long first = (long) Math.floor(lo / step + 1e-9);
    long last = (long) Math.ceil(hi / step - 1e-9);
    double[] t = new double[(int) (last - first + 1)];
    for (int i = 0; i < t.length; i++) {
      t[i] = (first + i) * step;
    }
    return t;
  }

  /** A tick label: bytes in the unit of the largest tick, other values with the step's decimals. */
  static String tickLabel(double v, double step, double top, boolean isBytes) {
    if (isBytes) {
      String[] units = {"B", "kB", "MB", "GB", "TB"};
      int u = 0;
      double scale = 1;
      while (Math.abs(top) / scale >= 1000 && u < units.length - 1) {
        scale *= 1000;
        u++;
      }
      return plain(v / scale, step / scale) + " " + units[u];
    }
    if (Math.abs(top) >= 1e5) {
      return plain(v / 1000, step / 1000) + "k";
    }
    return plain(v, step);
  }

  private static String plain(double v, double step) {
    int decimals = 0;
    while (decimals < 8
        && Math.abs(step * Math.pow(10, decimals) - Math.rint(step * Math.pow(10, decimals)))
            > 1e-6) {
      decimals++;
    }
    return String.format(Locale.ROOT, "%." + decimals + "f", Math.abs(v) < step * 1e-9 ? 0.0 : v);
  }

  /** Integer round ticks from 0 to maxRound, at most 8 intervals: steps of 1, 2, 5, 10, 20 ... */
  static int roundStep(int maxRound) {
    int step = 1;
    int[] m = {1, 2, 5};
    for (int k = 0; ; k++) {
      step = m[k % 3] * (int) Math.pow(10, k / 3);
      if (maxRound / step <= 8) {
        return step;
      }
    }
  }

  private static final int W = 760;
  private static final int H = 300;
  private static final int LEFT = 70;
  private static final int RIGHT = 15;
  private static final int TOP = 12;
  private static final int BOTTOM = 42;

  private static double xOf(double round, int maxRound) {
    return LEFT + (W - LEFT - RIGHT) * round / Math.max(1, maxRound);
  }

  /**
   * The frame shared by the round charts: horizontal grid lines and labels at the y ticks, and
   * integer round ticks from 0 to maxRound.
   */
  private static void frame(StringBuilder s, double[] ticks, int maxRound, String yl, boolean b) {
    double lo = ticks[0];
    double hi = ticks[ticks.length - 1];
    double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
    for (double v : ticks) {
      double y = yOf(v, lo, hi);
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text class=\"ytick\" x=\"%d\" y=\"%.1f\" font-size=\"11\""
                  + " text-anchor=\"end\">%s</text>",
              LEFT,
              W - RIGHT,
              y,
              y,
              LEFT - 5,
              y + 4,
              tickLabel(v, step, hi, b)));
    }
    int rs = roundStep(maxRound);
    for (int r = 0; r <= maxRound; r += rs) {
      double x = xOf(r, maxRound);
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
                  + "<text class=\"xtick\" x=\"%.1f\" y=\"%d\" font-size=\"11\""
                  + " text-anchor=\"middle\">%d</text>",
              x,
              x,
              H - BOTTOM,
              H - BOTTOM + 4,
              x,
              H - BOTTOM + 16,
              r));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
                + "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">round</text>"
                + "<text x=\"16\" y=\"%d\" font-size=\"12\" transform=\"rotate(-90 16 %d)\""
                + " text-anchor=\"middle\">%s</text>",
            LEFT,
            W - RIGHT,
            H - BOTTOM,
            H - BOTTOM,
            (W + LEFT) / 2,
            H - 6,
            (H - BOTTOM) / 2,
            (H - BOTTOM) / 2,
            esc(yl)));
  }

  private static double yOf(double v, double lo, double hi) {
    return H - BOTTOM - (H - BOTTOM - TOP) * (v - lo) / (hi - lo);
  }

  static String lineChart(
      List<List<double[]>> series, List<String> names, int maxRound, String yl) {
    double minY = 0;
    double maxY = -Double.MAX_VALUE;
    boolean any = false;
    for (List<double[]> s : series) {
      for (double[] p : s) {
        any = true;
        minY = Math.min(minY, p[1]);
        maxY = Math.max(maxY, p[1]);
      }
    }
    if (!any) {
      return "<p>(no data)</p>";
    }
    double[] ticks = niceTicks(minY, maxY > minY ? maxY : minY + 1, 5);
    double lo = ticks[0];
    double hi = ticks[ticks.length - 1];
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\">", W, H));
    frame(s, ticks, maxRound, yl, false);
    for (int k = 0; k < series.size(); k++) {
      String colour = PALETTE[k % PALETTE.length];
      StringBuilder pts = new StringBuilder();
      StringBuilder dots = new StringBuilder();
      for (double[] p : series.get(k)) {
        double x = xOf(p[0], maxRound);
        double y = yOf(p[1], lo, hi);
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        dots.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>round %d, %s: %s"
                    + "</title></circle>",
                x,
                y,
                colour,
                Math.round(p[0]),
                esc(names.get(k)),
                number(p[1])));
      }
      s.append(
              String.format(
                  Locale.ROOT,
                  "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>",
                  colour,
                  pts.toString().strip()))
          .append(dots);
    }
    s.append("</svg><div class=\"legend\">");
    for (int k = 0; k < names.size(); k++) {
      // A series without a point (the clients' training loss of a sample-level DP run, whose
      // clients never report it) is drawn nowhere, so the legend does not name it.
      if (!series.get(k).isEmpty()) {
        s.append(swatch(PALETTE[k % PALETTE.length], names.get(k)));
      }
    }
    return s.append("</div>").toString();
  }

  /**
   * Traffic per round as two stacked bars, up and down, each split into training (the sampled
   * clients' updates and the broadcast to them) and evaluation (the broadcast to the evaluation
   * clients and their replies), so the bars add up to the summary's totals. The traffic of a round
   * attempt that did not complete ({@link #attemptTraffic}), which summary.json counts too, is
   * drawn at its round, under the bars of that round if it then completed: each {@code
   * round_failed} line's (a round that failed on server.min_clients, then run again on resume) and
   * that of the round a privacy budget stopped (the {@code stopped_early} line, or null).
   */
  static String trafficChart(
      List<JsonObject> rounds, List<JsonObject> failed, JsonObject stop, int maxRound) {
    List<Integer> at = new ArrayList<>();
    List<long[]> bars = new ArrayList<>();
    List<String> names = new ArrayList<>();
    long[] failedTotal = new long[4];
    List<Integer> failedRounds = new ArrayList<>();
    for (JsonObject f : failed) {
      long[] a = attemptTraffic(f);
      if (a != null) {
        int round = f.get("round").getAsInt();
        at.add(round);
        bars.add(a);
        names.add("round " + round + " (failed attempt)");
        failedRounds.add(round);
        for (int i = 0; i < 4; i++) {
          failedTotal[i] += a[i];
        }
      }
    }
    for (JsonObject r : rounds) {
      int round = r.get("round").getAsInt();
      at.add(round);
      bars.add(traffic(r));
      names.add("round " + round);
    }
    long[] attempt = stop == null ? null : attemptTraffic(stop);
    int attemptRound = stop == null ? 0 : stop.get("round").getAsInt() + 1;
    if (attempt != null) {
      at.add(attemptRound);
      bars.add(attempt);
      names.add("round " + attemptRound + " (did not complete)");
    }
    long[] total = new long[4];
    Map<Integer, long[]> stacked = new TreeMap<>();
    int lastRound = maxRound;
    for (int b = 0; b < bars.size(); b++) {
      long[] v = bars.get(b);
      long[] stack = stacked.computeIfAbsent(at.get(b), k -> new long[2]);
      for (int i = 0; i < 4; i++) {
        total[i] += v[i];
      }
      stack[0] += v[0] + v[1];
      stack[1] += v[2] + v[3];
      lastRound = Math.max(lastRound, at.get(b));
    }
    double top = 0;
    for (long[] stack : stacked.values()) {
      top = Math.max(top, Math.max(stack[0], stack[1]));
    }
    double[] ticks = niceTicks(0, Math.max(top, 1), 5);
    double hi = ticks[ticks.length - 1];
    double slot = (W - LEFT - RIGHT) / (double) Math.max(1, lastRound);
    double bw = Math.max(1.5, Math.min(14, slot * 0.36));
    StringBuilder s = new StringBuilder("<h2>Communication per round</h2>");
    s.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\">", W, H));
    frame(s, ticks, lastRound, "bytes", true);
    String[] colours = {UP, UP_EVAL, DOWN, DOWN_EVAL};
    String[] what = {
      "up, training (client updates)",
      "up, evaluation (client replies)",
      "down, training (broadcast to sampled clients)",
      "down, evaluation (broadcast to evaluation clients)"
    };
    // the height already drawn at each round, per side: a round's bars stack on its failed
    // attempts'
    Map<Integer, double[]> drawn = new TreeMap<>();
    for (int b = 0; b < bars.size(); b++) {
      int round = at.get(b);
      long[] v = bars.get(b);
      String name = names.get(b);
      double cx = xOf(round, lastRound);
      double[] bases = drawn.computeIfAbsent(round, k -> new double[2]);
      for (int side = 0; side < 2; side++) {
        double x = side == 0 ? cx - bw - 0.5 : cx + 0.5;
        for (int part = 0; part < 2; part++) {
          int i = side * 2 + part;
          if (v[i] == 0) {
            continue;
          }
          double y0 = yOf(bases[side], 0, hi);
          double y1 = yOf(bases[side] + v[i], 0, hi);
          s.append(
              String.format(
                  Locale.ROOT,
                  "<rect class=\"traffic-%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                      + " fill=\"%s\"><title>%s, %s: %s (%,d bytes)</title></rect>",
                  i,
                  x,
                  y1,
                  bw,
                  Math.max(0.5, y0 - y1),
                  colours[i],
                  name,
                  what[i],
                  bytes(v[i]),
                  v[i]));
          bases[side] += v[i];
        }
      }
    }
    s.append("</svg><div class=\"legend\">");
    for (int i = 0; i < 4; i++) {
      if (total[i] > 0 || i % 2 == 0) {
        s.append(swatch(colours[i], what[i]));
      }
    }
    s.append("</div><p class=\"caption\">Bytes as serialised; left bar up, right bar down. Up: ")
        .append(bytes(total[0] + total[1]))
        .append(" (training ")
        .append(bytes(total[0]))
        .append(", evaluation ")
        .append(bytes(total[1]))
        .append("). Down: ")
        .append(bytes(total[2] + total[3]))
        .append(" (training ")
        .append(bytes(total[2]))
        .append(", evaluation ")
        .append(bytes(total[3]))
        .append(").");
    if (total[3] > 0) {
      s.append(
          " Down exceeds up because each evaluation round also broadcasts the global model to"
              + " the evaluation clients.");
    }
    if (!failedRounds.isEmpty()) {
      s.append(" ")
          .append(failedAttempts(failedRounds))
          .append(
              " failed (fewer than server.min_clients clients answered): the bars marked"
                  + " failed attempt, under those of the round if --resume ran it again, are"
                  + " the traffic of the ")
          .append(Main.plural(failedRounds.size(), "attempt"))
          .append(" (")
          .append(bytes(failedTotal[0]))
          .append(" up, ")
          .append(bytes(failedTotal[2]))
          .append(" down), which the totals include.");
    }
    if (attempt != null) {
      s.append(" Round ")
          .append(attemptRound)
          .append(" did not complete (stopped early): its bars are the traffic of the attempt (")
          .append(bytes(attempt[0]))
          .append(" up, ")
          .append(bytes(attempt[2]))
          .append(" down), which the totals include.");
    }
    return s.append("</p>").toString();
  }

  /**
   * The failed attempts of {@code rounds} (one round number per attempt, in metrics.jsonl's order)
   * in words, each round named once: "The attempt of round 2", "2 attempts of round 2", "The 3
   * attempts of rounds 2, 4".
   */
  static String failedAttempts(List<Integer> rounds) {
    List<String> distinct = rounds.stream().distinct().map(String::valueOf).toList();
    if (rounds.size() == 1) {
      return "The attempt of round " + distinct.get(0);
    }
    return distinct.size() == 1
        ? rounds.size() + " attempts of round " + distinct.get(0)
        : "The " + rounds.size() + " attempts of rounds " + String.join(", ", distinct);
  }

  /**
   * The traffic of a round attempt that did not complete, as {@link #traffic} gives a round's: the
   * {@code bytes_up} and {@code bytes_down} of a {@code round_failed} line (the instructions sent
   * out and the updates of the clients that answered) or of a {@code stopped_early} line (the round
   * after it; under sample-level DP the instructions sent out and the updates of the clients within
   * budget; the line's evaluation bytes are the last completed round's), or null if it had none
   * (client-level DP refuses the round before sending it out; a line written before lines had
   * traffic).
   */
  static long[] attemptTraffic(JsonObject line) {
    long up = (long) num(line, "bytes_up");
    long down = (long) num(line, "bytes_down");
    return up == 0 && down == 0 ? null : new long[] {up, 0, down, 0};
  }

  /** A legend entry: a square in the series colour, then its name in the text colour. */
  private static String swatch(String colour, String name) {
    return "<span><b style=\"color:" + colour + "\">&#9632;</b> " + esc(name) + "</span>";
  }

  /** {up training, up evaluation, down training, down evaluation} bytes of one round line. */
  private static long[] traffic(JsonObject r) {
    return new long[] {
      (long) num(r, "bytes_up"),
      (long) num(r, "eval_bytes_up"),
      (long) num(r, "bytes_down"),
      (long) num(r, "eval_bytes_down")
    };
  }

  /**
   * A bar per name, its height the value; each bar's tooltip gives its name, {@code metric} and its
   * value ({@link #number}).
   */
  static String barChart(List<String> names, List<Double> values, String metric) {
    return barChart(names, values, metric, ReportWriter::number);
  }

  /**
   * {@link #barChart(List, List, String)} with each value in the tooltips written by {@code text}.
   */
  static String barChart(
      List<String> names, List<Double> values, String metric, Function<Double, String> text) {
    int n = names.size();
    int w = W;
    int hgt = n <= 40 ? 250 : 210;
    int l = 50;
    int bottom = n <= 40 ? 62 : 22;
    double minY = 0;
    double maxY = 0;
    for (double v : values) {
      minY = Math.min(minY, v);
      maxY = Math.max(maxY, v);
    }
    double[] ticks = niceTicks(minY, maxY > minY ? maxY : minY + 1, 4);
    double lo = ticks[0];
    double hi = ticks[ticks.length - 1];
    double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
    double bw = (w - l - 10.0) / Math.max(1, n);
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\">", w, hgt));
    for (double t : ticks) {
      double y = hgt - bottom - (hgt - bottom - 10) * (t - lo) / (hi - lo);
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text class=\"ytick\" x=\"%d\" y=\"%.1f\" font-size=\"11\""
                  + " text-anchor=\"end\">%s</text>",
              l,
              w - 10,
              y,
              y,
              l - 5,
              y + 4,
              tickLabel(t, step, hi, false)));
    }
    double zero = hgt - bottom - (hgt - bottom - 10) * (0 - lo) / (hi - lo);
    for (int i = 0; i < n; i++) {
      double v = values.get(i);
      double y = hgt - bottom - (hgt - bottom - 10) * (v - lo) / (hi - lo);
      double x = l + i * bw;
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                  + "<title>%s, %s: %s</title></rect>",
              x + 1,
              Math.min(y, zero),
              Math.max(1, bw - 2),
              Math.abs(zero - y),
              PALETTE[0],
              esc(names.get(i)),
              esc(metric),
              text.apply(v)));
      if (n <= 40) {
        double cx = x + bw / 2;
        s.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"end\""
                    + " transform=\"rotate(-50 %.1f %d)\">%s</text>",
                cx + 3,
                hgt - bottom + 12,
                cx + 3,
                hgt - bottom + 12,
                esc(names.get(i))));
      }
    }
    return s.append("</svg>").toString();
  }

  /**
   * The training partition as a grid: one row per client (its example count at the right), one
   * named column per label (most frequent first; past 40 labels the rest share an "other" column),
   * each cell shaded by the label's share of that client's examples.
   */
  static String labelGrid(JsonObject partition) {
    JsonArray labels = partition.getAsJsonArray("labels");
    JsonObject clients = partition.getAsJsonObject("clients");
    List<String> ids = new ArrayList<>(byClient(clients.asMap()).keySet());
    int shown = Math.min(ids.size(), 60);
    int nl = labels.size();
    long[] labelTotal = new long[nl];
    int[][] hist = new int[shown][nl];
    int[] rowTotal = new int[shown];
    for (int i = 0; i < shown; i++) {
      JsonArray a = clients.getAsJsonObject(ids.get(i)).getAsJsonArray("label_histogram");
      for (int k = 0; k < nl && k < a.size(); k++) {
        hist[i][k] = a.get(k).getAsInt();
        labelTotal[k] += hist[i][k];
        rowTotal[i] += hist[i][k];
      }
    }
    List<Integer> order = new ArrayList<>();
    for (int k = 0; k < nl; k++) {
      order.add(k);
    }
    order.sort(Comparator.comparingLong((Integer k) -> -labelTotal[k]).thenComparing(k -> k));
    int maxCols = 40;
    int cols = nl <= maxCols ? nl : maxCols - 1;
    boolean other = cols < nl;
    int ncol = cols + (other ? 1 : 0);
    int cell = Math.max(12, Math.min(22, 640 / Math.max(1, ncol)));
    int rowH = Math.max(12, Math.min(18, cell));
    int l = 90;
    int headH = 120;
    int w = l + ncol * cell + 70;
    int hgt = headH + shown * rowH + 8;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" role=\"img\">", w, hgt));
    for (int c = 0; c < ncol; c++) {
      String name = c < cols ? labels.get(order.get(c)).getAsString() : "other";
      double x = l + c * cell + cell / 2.0 + 4;
      s.append(
          String.format(
              Locale.ROOT,
              "<text class=\"label-col\" x=\"%.1f\" y=\"%d\" font-size=\"11\""
                  + " transform=\"rotate(-60 %.1f %d)\">%s</text>",
              x,
              headH - 6,
              x,
              headH - 6,
              esc(name)));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">examples</text>",
            l + ncol * cell + 6,
            headH - 6));
    for (int i = 0; i < shown; i++) {
      double y = headH + i * rowH;
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>",
              l - 4,
              y + rowH - 3,
              esc(ids.get(i))));
      for (int c = 0; c < ncol; c++) {
        int count = 0;
        String name;
        if (c < cols) {
          count = hist[i][order.get(c)];
          name = labels.get(order.get(c)).getAsString();
        } else {
          for (int k = cols; k < nl; k++) {
            count += hist[i][order.get(k)];
          }
          name = "other (" + (nl - cols) + " labels)";
        }
        double share = rowTotal[i] == 0 ? 0 : count / (double) rowTotal[i];
        s.append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"%s\""
                    + " stroke=\"#fff\"><title>%s, %s: %,d of %,d examples (%.0f %%)</title>"
                    + "</rect>",
                l + c * cell,
                y,
                cell,
                rowH,
                shade(share),
                esc(ids.get(i)),
                esc(name),
                count,
                rowTotal[i],
                100 * share));
      }
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" font-size=\"10\">%,d</text>",
              l + ncol * cell + 6,
              y + rowH - 3,
              rowTotal[i]));
    }
    s.append(
        "</svg><p class=\"caption\">Each row is a client, each column a label (most frequent"
            + " first); the darker the cell, the larger that label's share of the client's"
            + " examples (its part of the training split: the examples it trains on and those it"
            + " holds out for its own evaluation, partition.json's train + holdout):");
    for (double share : new double[] {0, 0.1, 0.25, 0.5, 1}) {
      s.append(" <span style=\"background:")
          .append(shade(share))
          .append(";border:1px solid #ccc\">&nbsp;&nbsp;&nbsp;</span> ")
          .append(String.format(Locale.ROOT, "%.0f %%", 100 * share));
    }
    s.append(".</p>");
    if (shown < ids.size()) {
      s.append("<p>(first ")
          .append(shown)
          .append(" of ")
          .append(ids.size())
          .append(" clients shown)</p>");
    }
    return s.toString();
  }

  /**
   * Under a natural partition, which value of the data's {@code client} (or, with {@code
   * natural:task}, {@code task}) field each client holds the examples of (partition.json's {@code
   * group}), as a table: the report names clients {@code client-<i>}, and this is the only place
   * that says which of the user's clients or tasks each one is. Empty under other partitions.
   */
  static String naturalGroups(JsonObject partition) {
    if (!partition.has("clients") || !partition.get("clients").isJsonObject()) {
      return "";
    }
    Map<String, JsonElement> clients = byClient(partition.getAsJsonObject("clients").asMap());
    StringBuilder rows = new StringBuilder();
    for (var c : clients.entrySet()) {
      if (c.getValue().isJsonObject() && c.getValue().getAsJsonObject().has("group")) {
        rows.append("<tr><td>")
            .append(esc(c.getKey()))
            .append("</td><td>")
            .append(esc(c.getValue().getAsJsonObject().get("group").getAsString()))
            .append("</td></tr>");
      }
    }
    if (rows.length() == 0) {
      return "";
    }
    return "<p class=\"caption\">Natural partition: each client holds the examples of one value"
        + " of the data's client field (task field with data.partition = natural:task), its"
        + " group in partition.json.</p><table><tr><th>client</th><th>group</th></tr>"
        + rows
        + "</table>";
  }

  /**
   * {@code byId} ordered by client id as the report lists clients everywhere ({@link NaturalOrder}:
   * {@code client-2} before {@code client-10}).
   */
  static <V> Map<String, V> byClient(Map<String, V> byId) {
    Map<String, V> sorted = new TreeMap<>(NaturalOrder.INSTANCE);
    sorted.putAll(byId);
    return sorted;
  }

  /**
   * White to dark blue; the square root spreads the small shares (a label skew puts most cells
   * below 10 %).
   */
  private static String shade(double share) {
    double t = Math.sqrt(Math.max(0, Math.min(1, share)));
    int r = (int) Math.round(255 + (8 - 255) * t);
    int g = (int) Math.round(255 + (48 - 255) * t);
    int b = (int) Math.round(255 + (107 - 255) * t);
    return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
  }
}
