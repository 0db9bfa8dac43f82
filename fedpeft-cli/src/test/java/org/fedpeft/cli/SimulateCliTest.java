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
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.testing.SystemProperties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code fedpeft simulate} end to end on a tiny model, as a user runs it, including a real kill -9
 * of a running simulation and its resume.
 */
class SimulateCliTest {

  @TempDir static Path tmp;
  static Path config;

  @BeforeAll
  static void tinyRunConfig() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    Path data = tmp.resolve("data.jsonl");
    CliRun.fourTopics(data, 160);
    config = tmp.resolve("run.toml");
    Files.writeString(
        config,
        """
        seed = 5
        rounds = 4
        clients = 8
        clients_per_round = 3

        [data]
        file = "%s"
        partition = "dirichlet:0.5"
        max_eval = 40

        [model]
        name = "%s"

        [adapter]
        rank = 4
        targets = ["query", "value"]

        [client]
        local_steps = 3
        batch_size = 8
        learning_rate = 5e-3

        [eval]
        every = 2
        """
            .formatted(
                data.toString().replace("\\", "\\\\"), model.toString().replace("\\", "\\\\")));
  }

  /**
   * User audit: a run whose every client evaluation failed exited 0 with {@code client_accuracy:
   * {}} and said nothing on the console, in summary.json or in report.html. The test-only method
   * toy (fedpeft-core's test classes) fails its evaluations with {@code fail_personalise}.
   */
  @Test
  void failedClientEvaluationsAreReportedOnTheConsoleTheSummaryAndTheReport() throws Exception {
    Path toy = tmp.resolve("toy.toml");
    String text = Files.readString(config);
    int adapter = text.indexOf("[adapter]");
    int client = text.indexOf("[client]");
    Files.writeString(
        toy,
        text.substring(0, adapter)
            + "[adapter]\nmethod = \"toy\"\nfail_personalise = true\n\n"
            + "[server]\nstrategy = \"fedavg\"\n\n"
            + text.substring(client));
    Path out = tmp.resolve("failing-evaluations");
    CliRun.Result r =
        CliRun.run("simulate", toy.toString(), "--set", "rounds=1", "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.err()
            .matches("(?s).*round 1: (\\d+) of \\1 client evaluations failed \\(client-\\d+: .*"),
        r.err());
    assertTrue(r.err().contains("toy: fail_personalise = true"), r.err());
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertTrue(summary.get("client_eval_failures").getAsInt() > 0, summary.toString());
    String html = Files.readString(out.resolve("report.html"));
    assertTrue(html.contains("client evaluations failed</b> in 1 round"), html);
    assertTrue(html.contains("toy: fail_personalise = true"), html);
  }

  @Test
  void simulateWritesEveryOutput() throws Exception {
    Path out = tmp.resolve("sim");
    CliRun.Result r = CliRun.run("simulate", config.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("final accuracy:"), r.out());
    assertTrue(r.out().contains("report: "), r.out());
    for (String f :
        List.of(
            "metrics.jsonl",
            "timings.jsonl",
            "summary.json",
            "report.html",
            "manifest.json",
            "config.json",
            "partition.json",
            "checkpoint/state.safetensors",
            "adapter/adapter_config.json",
            "adapter/adapter_model.safetensors",
            "adapter/head.safetensors")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(4, metrics.size());
    long up = 0;
    for (String m : metrics) {
      JsonObject o = JsonParser.parseString(m).getAsJsonObject();
      assertTrue(o.get("bytes_up").getAsLong() > 0);
      up += o.get("bytes_up").getAsLong();
      if (o.has("eval_bytes_up")) {
        up += o.get("eval_bytes_up").getAsLong();
      }
    }
    JsonObject last = JsonParser.parseString(metrics.get(3)).getAsJsonObject();
    assertTrue(last.has("accuracy") && last.has("client_accuracy"));
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals(up, summary.get("bytes_up_total").getAsLong());
    String html = Files.readString(out.resolve("report.html"));
    assertTrue(html.contains("<svg") && html.contains("Label distribution"));
    JsonObject manifest =
        JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
    assertTrue(manifest.getAsJsonObject("data").has("train_sha256"));
    // The exported adapter evaluates with fedpeft eval to the same accuracy as the summary.
    CliRun.Result ev =
        CliRun.run(
            "eval",
            out.resolve("adapter").toString(),
            "--model",
            tmp.resolve("tiny-model").toString(),
            "--data",
            tmp.resolve("data.jsonl").toString(),
            "--max-eval",
            "40",
            "--seed",
            "5");
    assertEquals(0, ev.code(), ev.err());
    assertTrue(
        ev.out()
            .startsWith(
                String.format(
                    java.util.Locale.ROOT,
                    "test accuracy: %.4f",
                    summary.get("final_accuracy").getAsDouble())),
        ev.out() + " vs " + summary);
  }

  @Test
  void finalLineSaysOneRoundOrSeveral() {
    JsonObject summary = new JsonObject();
    summary.addProperty("rounds", 1);
    summary.addProperty("final_accuracy", 0.5);
    summary.addProperty("final_loss", 1.25);
    summary.addProperty("test_examples", 8);
    assertEquals(
        "final accuracy: 0.5000 (loss 1.2500, 8 test examples) after 1 round",
        SimulateCommand.finalLine(summary));
    summary.addProperty("rounds", 3);
    assertEquals(
        "final accuracy: 0.5000 (loss 1.2500, 8 test examples) after 3 rounds",
        SimulateCommand.finalLine(summary));
  }

  @Test
  void retrievalAndPersonalisationRunsPrintTheirFiguresAfterTheFinalLine() {
    JsonObject plain = new JsonObject();
    JsonObject fm = new JsonObject();
    fm.addProperty("accuracy", 0.4);
    fm.addProperty("loss", 8.6);
    plain.add("final_metrics", fm);
    assertEquals(List.of(), SimulateCommand.methodLines(plain, false), "nothing more to say");

    JsonObject retrieval = plain.deepCopy();
    retrieval.getAsJsonObject("final_metrics").addProperty("recall@5", 0.72);
    retrieval.getAsJsonObject("final_metrics").addProperty("recall@10", 0.81);
    retrieval.getAsJsonObject("final_metrics").addProperty("mrr", 0.55128);
    assertEquals(
        List.of(
            "retrieval (classifier-as-retriever): top-1 0.4000, recall@5 0.7200, recall@10"
                + " 0.8100, MRR 0.5513"),
        SimulateCommand.methodLines(retrieval, false));
    assertTrue(
        SimulateCommand.methodLines(retrieval, true).get(0).startsWith("retrieval (MIPS with"));

    JsonObject dpa = plain.deepCopy();
    dpa.addProperty("personalization", 0.39333);
    dpa.addProperty("test_time_personalization", 0.38278);
    JsonObject per = new JsonObject();
    per.addProperty("client-0", 0.5);
    per.addProperty("client-1", 0.3);
    dpa.add("personalization_per_client", per);
    dpa.addProperty("client_adapters_dir", "/runs/dpa/clients");
    assertEquals(
        List.of(
            "personalization: P 0.3933 (each client's model on its own task), TTP 0.3828 (on"
                + " every task), mean over 2 clients; each client's in summary.json",
            "client models (global tensors plus each client's LOCAL ones):"
                + " /runs/dpa/clients/<client>/adapter".replace('/', java.io.File.separatorChar)),
        SimulateCommand.methodLines(dpa, false));
    // QA, 5 December: the line before P and TTP read "final accuracy", which a user comparing
    // FedDPA's mixing options took for theirs; it is the global model's, which they do not change.
    dpa.addProperty("rounds", 2);
    dpa.addProperty("final_accuracy", 0.25);
    dpa.addProperty("final_loss", 2.5);
    dpa.addProperty("test_examples", 4);
    assertEquals(
        "final accuracy of the global model (no client's local tensors): 0.2500 (loss 2.5000, 4"
            + " test examples) after 2 rounds",
        SimulateCommand.finalLine(dpa));
  }

  @Test
  void docsListEveryConfigKeyAsTheCodeDefinesIt() throws Exception {
    // as the docs run it: the keys' texts name the command as it was run (./fedpeft tasks list)
    CliRun.Result r =
        SystemProperties.with(
            Launcher.PROPERTY, "./fedpeft", () -> CliRun.run("simulate", "--list-keys"));
    assertEquals(0, r.code());
    String doc = Files.readString(Path.of("..", "docs", "config.md"));
    assertTrue(
        doc.endsWith(r.out()),
        "docs/config.md is stale: regenerate its table with ./fedpeft simulate --list-keys");
  }

  /**
   * Docs audit, 4 December: docs/config.md's first paragraph listed the TOML tables without {@code
   * [head]}, whose keys ({@code head.init}, {@code head.scale}) examples/car-sense-retrieval sets.
   * The tables it names are the first parts of the dotted keys the schema declares.
   */
  @Test
  void docsNameEveryTableOfTheConfig() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "config.md"));
    int start = doc.indexOf("tables `[");
    String list = doc.substring(start, doc.indexOf(';', start));
    Set<String> named = new TreeSet<>();
    Matcher m = Pattern.compile("`\\[([a-z_]+)\\]`").matcher(list);
    while (m.find()) {
      named.add(m.group(1));
    }
    Set<String> declared = new TreeSet<>();
    for (String key : SimulationConfig.SCHEMA.keys().keySet()) {
      if (key.contains(".")) {
        declared.add(key.substring(0, key.indexOf('.')));
      }
    }
    assertEquals(declared, named, "the tables docs/config.md lists");
  }

  /**
   * Review, 3 December: with a noise multiplier of 0 the per-round progress line said "eps
   * Infinity" while the final line says the run is not private.
   */
  @Test
  void aNoiseMultiplierOfZeroIsShownAsNotPrivateEveryRound() throws Exception {
    CliRun.Result r =
        CliRun.run(
            "simulate",
            config.toString(),
            "--set",
            "rounds=1",
            "--set",
            "privacy.mode=client",
            "--set",
            "privacy.client.noise_multiplier=0",
            "--out",
            tmp.resolve("noise0").toString());
    assertEquals(0, r.code(), r.err());
    assertFalse(r.err().contains("Infinity"), r.err());
    assertTrue(r.err().contains("not private (no noise)"), r.err());
    assertTrue(r.out().contains("privacy: NOT private: "), r.out());
  }

  @Test
  void clientLevelDpSpendsAndStopsAtTheBudget() throws Exception {
    double two = new org.fedpeft.privacy.RdpAccountant().step(1.0, 2.0, 2).getEpsilon(1e-5);
    double three = new org.fedpeft.privacy.RdpAccountant().step(1.0, 2.0, 3).getEpsilon(1e-5);
    double budget = (two + three) / 2;
    String[] args = {
      "simulate",
      config.toString(),
      "--set",
      "privacy.mode=client",
      "--set",
      "privacy.client.noise_multiplier=2.0",
      "--set",
      "privacy.client.clip_norm=0.5",
      "--set",
      "privacy.noise=seeded",
      "--set",
      "privacy.epsilon=" + budget,
      "--out",
      ""
    };
    args[args.length - 1] = tmp.resolve("dp1").toString();
    CliRun.Result r = CliRun.run(args);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("stopping early: privacy budget exceeded"), r.err());
    assertTrue(r.out().contains("privacy: epsilon"), r.out());
    assertTrue(r.out().contains("NOT private"), r.out());
    JsonObject summary =
        JsonParser.parseString(Files.readString(tmp.resolve("dp1/summary.json"))).getAsJsonObject();
    assertEquals(2, summary.get("rounds").getAsInt());
    // QA (budget stop): each output says when and why the run stopped.
    assertTrue(
        r.out().contains("after 2 of 4 rounds (stopped early: the privacy budget is spent)"),
        r.out());
    assertTrue(
        r.err()
            .lines()
            .anyMatch(l -> l.matches("rounds \\[.*\\] 2/4 stopped: privacy budget spent.*took.*")),
        r.err());
    List<String> metrics = Files.readAllLines(tmp.resolve("dp1/metrics.jsonl"));
    JsonObject stop = JsonParser.parseString(metrics.get(metrics.size() - 1)).getAsJsonObject();
    assertEquals("stopped_early", stop.get("event").getAsString(), stop.toString());
    assertEquals(2, stop.get("round").getAsInt());
    assertEquals(summary.get("stopped_early"), stop.get("stopped_early"));
    assertFalse(stop.has("accuracy"), "round 2 was evaluated (eval.every = 2): not again");
    assertEquals(two, summary.get("epsilon").getAsDouble(), 1e-9);
    assertTrue(summary.get("epsilon_sampling").getAsString().contains("q = 1"));
    JsonObject manifest =
        JsonParser.parseString(Files.readString(tmp.resolve("dp1/manifest.json")))
            .getAsJsonObject();
    assertEquals(false, manifest.get("private").getAsBoolean());
    assertTrue(Files.readString(tmp.resolve("dp1/report.html")).contains("Privacy budget"));
    // Seeded noise is keyed on (seed, round): a second run is identical.
    args[args.length - 1] = tmp.resolve("dp2").toString();
    assertEquals(0, CliRun.run(args).code());
    assertEquals(
        -1L,
        Files.mismatch(
            tmp.resolve("dp1/adapter/adapter_model.safetensors"),
            tmp.resolve("dp2/adapter/adapter_model.safetensors")));
  }

  /**
   * model.precision reaches the simulation's frozen base: auto is resolved on this machine and the
   * manifest records what it picked and why; the stderr header, summary.json, report.html and the
   * adapter folder say what the run computed in; a bad value is refused naming the key.
   */
  @Test
  void modelPrecisionIsFollowedAndRecorded() throws Exception {
    Path out = tmp.resolve("auto");
    CliRun.Result r =
        CliRun.run(
            "simulate",
            config.toString(),
            "--set",
            "model.precision=auto",
            "--set",
            "rounds=2",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    String picked = org.fedpeft.model.Precision.choose("auto").describe();
    JsonObject manifest =
        JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
    assertEquals(picked, manifest.get("precision").getAsString());
    assertEquals("auto", manifest.getAsJsonObject("config").get("model.precision").getAsString());
    // What it computed in, as train's summary.json has it: in the header, summary.json (the bare
    // precision), report.html (with auto's reason, from the manifest) and the adapter folder.
    String label = org.fedpeft.model.Precision.choose("auto").precision().label();
    String header =
        r.err().lines().filter(l -> l.startsWith("simulate: ")).findFirst().orElse(r.err());
    assertTrue(header.contains(" (" + label + "), adapter "), header);
    // Every option in use, the method's defaults included (QA, 3 December: it printed only those
    // the config sets).
    assertTrue(
        header.endsWith(
            ", adapter lora {alpha=16.0, dropout=0.05, rank=4, targets=query+value, train_a=true}"),
        header);
    // auto's pick and reason, on the command's own standard error.
    assertTrue(r.err().lines().anyMatch(("model precision: " + picked)::equals), r.err());
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals(label, summary.get("precision").getAsString());
    String report = Files.readString(out.resolve("report.html"));
    assertTrue(report.contains("<tr><th>precision</th><td>" + picked + "</td></tr>"), report);
    JsonObject adapter =
        JsonParser.parseString(Files.readString(out.resolve("adapter/fedpeft_adapter.json")))
            .getAsJsonObject();
    assertEquals(label, adapter.get("precision").getAsString());
    r =
        CliRun.run(
            "simulate",
            config.toString(),
            "--set",
            "model.precision=fp16",
            "--out",
            tmp.resolve("fp16").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("model.precision = fp16 is invalid: fp32, bf16 or auto"), r.err());
  }

  @Test
  void badConfigIsRejectedWithTheKeyNamed() throws Exception {
    CliRun.Result r =
        CliRun.run(
            "simulate",
            config.toString(),
            "--set",
            "rounds=zero",
            "--out",
            tmp.resolve("bad").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("rounds"), r.err());
    Path bad = tmp.resolve("bad.toml");
    Files.writeString(bad, "rounds = 3\nlocal_steps = 4\n");
    r = CliRun.run("simulate", bad.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("local_steps"), r.err());
  }

  @Test
  void clientsTrainingAtTheSameTimeGiveTheResultOfOneAtATime() throws Exception {
    // Same intra-op threads (1) in both runs, so only the parallelism differs; LoRA dropout
    // (0.05 by default) is on, so the per-step generators are exercised too.
    for (String p : new String[] {"1", "3"}) {
      CliRun.Result r =
          CliRun.run(
              "simulate",
              config.toString(),
              "--set",
              "client.parallel=" + p,
              "--set",
              "client.threads=1",
              "--out",
              tmp.resolve("par" + p).toString());
      assertEquals(0, r.code(), r.err());
    }
    for (String file :
        new String[] {
          "adapter/adapter_model.safetensors", "adapter/head.safetensors", "metrics.jsonl"
        }) {
      assertEquals(
          -1L,
          Files.mismatch(tmp.resolve("par1").resolve(file), tmp.resolve("par3").resolve(file)),
          file + " differs between 1 and 3 clients at a time");
    }
    // summary.json differs only in wall times and paths.
    JsonObject s1 =
        JsonParser.parseString(Files.readString(tmp.resolve("par1/summary.json")))
            .getAsJsonObject();
    JsonObject s3 =
        JsonParser.parseString(Files.readString(tmp.resolve("par3/summary.json")))
            .getAsJsonObject();
    assertEquals(s1.get("final_accuracy"), s3.get("final_accuracy"));
    assertEquals(s1.get("final_loss"), s3.get("final_loss"));
  }

  /**
   * Plain, and with sample-level DP-SGD (seeded noise, so it is reproducible), Poisson client
   * sampling and a budget: the per-client accountants, skipped rounds and declines must all resume
   * exactly. And FedBE, whose block allocation depends on the coverage counts and label histograms
   * in the server state. And FedDPA, whose clients keep LOCAL adapters and anchors.
   */
  @ParameterizedTest
  @Timeout(600) // a hang guard for the child processes KillResume starts
  @ValueSource(strings = {"plain", "sample-dp", "fedbe", "feddpa"})
  void killedRunResumesToTheSameResult(String kind) throws Exception {
    Path config = SimulateCliTest.config;
    if (kind.equals("fedbe")) {
      config = tmp.resolve("fedbe.toml");
      Files.writeString(
          config,
          Files.readString(SimulateCliTest.config)
              .replace(
                  "rank = 4\ntargets = [\"query\", \"value\"]\n",
                  "method = \"fedbe\"\nblocks = 2\n\n[server]\nstrategy = \"fedbe\"\n")
              .replace("learning_rate = 5e-3\n", "learning_rate = 5e-3\nbudgets = \"0.5\"\n"));
      assertTrue(Files.readString(config).contains("fedbe"), Files.readString(config));
    }
    if (kind.equals("feddpa")) {
      // FedDPA-T evaluated every round: each client's LOCAL adapter and anchors (kept in the
      // checkpoint) must come back bit-identical, for the clients that sat rounds out too.
      config = fedDpaConfig();
    }
    List<String> settings = new ArrayList<>();
    if (kind.equals("sample-dp")) {
      for (String kv :
          List.of(
              "privacy.mode=sample",
              "privacy.noise=seeded",
              "privacy.sample.noise_multiplier=1.0",
              "privacy.sample.clip_norm=0.5",
              "privacy.epsilon=12",
              "client_sampling=poisson",
              "rounds=6")) {
        settings.add("--set");
        settings.add(kv);
      }
    }
    KillResume.Runs runs = KillResume.assertKilledSimulationResumes(tmp, kind, config, settings, 3);
    String metrics = Files.readString(runs.full().resolve("metrics.jsonl"));
    if (kind.equals("fedbe")) {
      assertTrue(metrics.contains("\"fedbe.blocks.client-"), "assignments recorded: " + metrics);
    }
    if (kind.equals("sample-dp")) {
      assertTrue(metrics.contains("\"epsilon_mean\""), metrics);
      assertTrue(metrics.contains("DECLINED"), "some client ran out of budget: " + metrics);
      assertTrue(
          Files.readString(runs.full().resolve("report.html")).contains("each client's epsilon"),
          "the report plots the largest and mean epsilon over clients");
      assertTrue(
          runs.uninterrupted().out().contains("privacy: largest client epsilon"),
          runs.uninterrupted().out());
    }
    if (kind.equals("feddpa")) {
      // Every client's own model: its LOCAL adapter and anchors as the uninterrupted run left them.
      assertTrue(
          KillResume.compared(runs.full()).stream().anyMatch(f -> f.startsWith("clients/")),
          "clients kept local adapters");
    }
  }

  /** The tiny run with FedDPA-T, evaluated every round. */
  private static Path fedDpaConfig() throws Exception {
    Path c = tmp.resolve("feddpa.toml");
    Files.writeString(
        c,
        Files.readString(config)
            .replace("rank = 4\n", "method = \"feddpa\"\nrank = 4\n")
            .replace("every = 2\n", "every = 1\n"));
    assertTrue(Files.readString(c).contains("feddpa"), Files.readString(c));
    return c;
  }

  /**
   * FedDPA killed with SIGKILL while round 3's checkpoint is written: the files of the clients'
   * LOCAL states that round 3 changed are written, the checkpoint that names them is not (pause
   * point {@code round-3-local-states-written}). The resume starts from round 2's checkpoint, whose
   * state files are untouched, runs round 3 again and ends byte-identical to an uninterrupted run,
   * the state files included; the killed process's files that no checkpoint names are gone.
   */
  @Test
  @Tag("slow")
  @Timeout(600) // a hang guard for the child processes KillResume starts
  void fedDpaKilledBetweenItsStateFilesAndItsCheckpointResumesToTheSameResult() throws Exception {
    KillResume.Runs runs =
        KillResume.assertKilledSimulationResumes(
            tmp,
            "feddpa-state-files",
            fedDpaConfig(),
            List.of(),
            "round-3-local-states-written",
            2,
            killed -> {
              org.fedpeft.run.RunCheckpoint cp = org.fedpeft.run.RunCheckpoint.load(killed);
              assertEquals(2, cp.state().round(), "round 2's checkpoint is in place");
              long files;
              try (var s = Files.list(killed.resolve("checkpoint/local"))) {
                files = s.count();
              }
              assertTrue(
                  files > cp.local().size(),
                  "round 3's state files are written beside round 2's: "
                      + files
                      + " files, "
                      + cp.local().size()
                      + " named");
            });
    assertTrue(
        KillResume.compared(runs.full()).stream().anyMatch(f -> f.startsWith("checkpoint/local/")),
        "the state files are compared");
    assertEquals(
        KillResume.compared(runs.full()).stream()
            .filter(f -> f.startsWith("checkpoint/local/"))
            .count(),
        org.fedpeft.run.RunCheckpoint.load(runs.resumed()).local().size(),
        "one state file per client with a state, no leftover");
  }
}
