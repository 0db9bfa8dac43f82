package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedpeft.client.ClientData;
import org.fedpeft.client.ClientModels;
import org.fedpeft.client.ModelFactory;
import org.fedpeft.client.ModelSpec;
import org.fedpeft.client.PeftClient;
import org.fedpeft.client.RunSettingsFixtures;
import org.fedpeft.config.ConfigException;
import org.fedpeft.federation.ClientDeclinedException;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.FitInstructions;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.TinyModels;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.PrivacyBudget;
import org.fedpeft.privacy.RdpAccountant;
import org.fedpeft.privacy.SampleLevelDp;
import org.fedpeft.run.RunCheckpoint;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.run.StrategyFactory;
import org.fedpeft.train.FrozenBase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sample-level DP-SGD and Poisson client sampling inside the simulation, on a tiny model: every
 * client's epsilon against a fresh accountant charged with the steps it took, the budget refusal
 * (before any noise), and client-level DP with Poisson sampling against a hand-composed accountant.
 */
class SampleDpSimulationTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = tmp.resolve("tiny");
    HuggingFaceFolder.save(TinyModels.tiny(3), model);
    data = tmp.resolve("data.jsonl");
    List<String> lines = new ArrayList<>();
    String[] topics = {"fruit apple pear", "tool hammer saw", "sport run swim", "sea fish boat"};
    for (int i = 0; i < 160; i++) {
      lines.add(
          "{\"text\": \""
              + topics[i % 4]
              + " number "
              + i
              + "\", \"label\": \"t"
              + (i % 4)
              + "\"}");
    }
    Files.write(data, lines);
  }

  static SimulationConfig config(Map<String, String> extra) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "4");
    o.put("clients", "8");
    o.put("clients_per_round", "3");
    o.put("data.file", data.toString());
    o.put("data.partition", "dirichlet:0.5");
    o.put("data.max_eval", "40");
    o.put("model.name", model.toString());
    o.put("adapter.rank", "2");
    o.put("client.local_steps", "3");
    o.put("client.batch_size", "4");
    o.put("client.learning_rate", "5e-3");
    o.put("eval.every", "4");
    o.put("privacy.noise", "seeded");
    o.putAll(extra);
    return SimulationConfig.of(Map.of(), o, "test");
  }

  static List<JsonObject> metrics(Path out) throws Exception {
    List<JsonObject> l = new ArrayList<>();
    for (String s : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      l.add(JsonParser.parseString(s).getAsJsonObject());
    }
    return l;
  }

  static JsonObject json(Path f) throws Exception {
    return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
  }

  /** The clients that trained in a round: sampled minus failed. */
  static Set<String> trained(JsonObject line) {
    Set<String> s = new TreeSet<>();
    line.getAsJsonArray("sampled").forEach(e -> s.add(e.getAsString()));
    for (JsonElement f : line.getAsJsonArray("failures")) {
      s.remove(f.getAsJsonObject().get("client").getAsString());
    }
    return s;
  }

  @Test
  void eachClientsEpsilonEqualsAFreshAccountantChargedWithTheStepsItTook() throws Exception {
    Path out = tmp.resolve("sample");
    JsonObject summary;
    try (Simulation sim =
        Simulation.create(
            config(
                Map.of(
                    "privacy.mode", "sample",
                    "privacy.sample.noise_multiplier", "1.3",
                    "privacy.sample.clip_norm", "0.5")),
            out)) {
      summary = sim.run(new Simulation.Listener() {});
    }
    assertEquals(4, summary.get("rounds").getAsInt());
    assertFalse(summary.get("private").getAsBoolean(), "seeded noise is not private");
    assertTrue(summary.get("epsilon_sampling").getAsString().contains("Poisson-sampled batches"));
    JsonObject partition = json(out.resolve("partition.json")).getAsJsonObject("clients");
    JsonObject perClient = summary.getAsJsonObject("epsilon_per_client");
    List<JsonObject> lines = metrics(out);
    Map<String, Integer> rounds = new HashMap<>();
    double lastMax = 0;
    for (JsonObject l : lines) {
      assertFalse(l.has("train_loss"), "a DP client does not release its raw training loss");
      trained(l).forEach(id -> rounds.merge(id, 1, Integer::sum));
      // Per-round max and mean over the population, from the accountants so far.
      Map<String, Double> eps = new TreeMap<>();
      for (String id : partition.keySet()) {
        int n = partition.getAsJsonObject(id).get("train").getAsInt();
        eps.put(id, fresh(Math.min(1.0, 4.0 / n), 1.3, 3 * rounds.getOrDefault(id, 0)));
      }
      double max = eps.values().stream().mapToDouble(d -> d).max().orElseThrow();
      double mean = eps.values().stream().mapToDouble(d -> d).average().orElseThrow();
      assertEquals(max, l.get("epsilon").getAsDouble(), 0, "round " + l.get("round"));
      assertEquals(mean, l.get("epsilon_mean").getAsDouble(), 1e-12 * mean);
      assertTrue(max >= lastMax);
      lastMax = max;
    }
    assertTrue(rounds.size() >= 3, "several clients trained: " + rounds);
    for (String id : partition.keySet()) {
      int n = partition.getAsJsonObject(id).get("train").getAsInt();
      double q = Math.min(1.0, 4.0 / n);
      int steps = 3 * rounds.getOrDefault(id, 0);
      double want = fresh(q, 1.3, steps);
      assertEquals(want, perClient.get(id).getAsDouble(), 0, id);
      if (steps > 0) {
        // Composition by hand: T steps at once give the same epsilon to rounding.
        double once = RdpAccountant.computeEpsilon(q, 1.3, steps, 1e-5).epsilon();
        assertEquals(once, perClient.get(id).getAsDouble(), 1e-9 * once, id);
      }
    }
    assertEquals(lastMax, summary.get("epsilon").getAsDouble(), 0);
    // The accountants are in the checkpoint, one per client that trained.
    Map<String, ClientState> local = RunCheckpoint.load(out).local();
    assertEquals(rounds.keySet(), local.keySet());
    for (var e : local.entrySet()) {
      assertEquals(
          perClient.get(e.getKey()).getAsDouble(), SampleLevelDp.epsilon(e.getValue(), 1e-5), 0);
    }
    JsonObject manifest = json(out.resolve("manifest.json"));
    assertTrue(manifest.get("privacy_note").getAsString().contains("NOT private"));
    assertTrue(Files.readString(out.resolve("summary.json")).contains("not_covered"));
  }

  /** Epsilon of {@code steps} steps charged one at a time, as DP-SGD charges them. */
  static double fresh(double q, double sigma, int steps) {
    RdpAccountant a = new RdpAccountant();
    for (int i = 0; i < steps; i++) {
      a.step(q, sigma, 1);
    }
    return a.getEpsilon(1e-5);
  }

  @Test
  void clientsOutOfBudgetDeclineAndTheRunEndsCleanlyWhenTooFewRemain() throws Exception {
    // iid: every client has the same number n of training examples, q = 4 / n; the budget lets
    // two rounds (6 steps) through, not three (9 steps).
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("rounds", "30");
    keys.put("eval.every", "30");
    keys.put("data.partition", "iid");
    keys.put("privacy.mode", "sample");
    keys.put("privacy.sample.noise_multiplier", "1.0");
    Path probe = tmp.resolve("budget-probe");
    Simulation.create(config(keys), probe).close();
    Set<Integer> sizes = new TreeSet<>();
    for (var e : json(probe.resolve("partition.json")).getAsJsonObject("clients").entrySet()) {
      sizes.add(e.getValue().getAsJsonObject().get("train").getAsInt());
    }
    assertEquals(1, sizes.size(), "iid gives equal clients: " + sizes);
    double q = Math.min(1.0, 4.0 / sizes.iterator().next());
    double two = fresh(q, 1.0, 6);
    double three = fresh(q, 1.0, 9);
    double budget = (two + three) / 2;
    keys.put("privacy.epsilon", Double.toString(budget));
    Path out = tmp.resolve("budget");
    JsonObject summary;
    List<String> stops = new ArrayList<>();
    try (Simulation sim = Simulation.create(config(keys), out)) {
      summary =
          sim.run(
              new Simulation.Listener() {
                @Override
                public void onStop(String reason) {
                  stops.add(reason);
                }
              });
    }
    List<JsonObject> lines = metrics(out);
    // QA (budget stop): metrics.jsonl ends with a stopped_early line: the last completed round,
    // the reason summary.json gives, and that round's evaluation (eval.every = 30 gave it none),
    // as the last round of a run that completes has.
    JsonObject stop = lines.remove(lines.size() - 1);
    assertEquals("stopped_early", stop.get("event").getAsString(), stop.toString());
    assertEquals(lines.size(), stop.get("round").getAsInt(), stop.toString());
    assertEquals(summary.get("stopped_early"), stop.get("stopped_early"));
    assertTrue(stop.has("accuracy") && stop.has("client_accuracy_mean"), stop.toString());
    assertEquals(summary.get("final_accuracy"), stop.get("accuracy"));
    Map<String, Integer> rounds = new HashMap<>();
    boolean declinedWhileOthersTrained = false;
    for (JsonObject l : lines) {
      int declined = 0;
      for (JsonElement f : l.getAsJsonArray("failures")) {
        JsonObject o = f.getAsJsonObject();
        assertEquals("DECLINED", o.get("kind").getAsString());
        assertTrue(o.get("reason").getAsString().startsWith("privacy budget spent"));
        // Declines only once its two rounds are spent.
        assertEquals(2, rounds.getOrDefault(o.get("client").getAsString(), 0));
        declined++;
      }
      assertEquals(declined, l.get("clients_declined").getAsInt());
      declinedWhileOthersTrained |= declined > 0 && l.get("accepted").getAsInt() > 0;
      trained(l).forEach(id -> rounds.merge(id, 1, Integer::sum));
    }
    assertTrue(declinedWhileOthersTrained, "a round went on without the declining clients");
    assertTrue(lines.size() < 30, "the run stopped early");
    assertEquals(1, stops.size());
    assertTrue(stops.get(0).startsWith("privacy budget spent"), stops.get(0));
    assertEquals(stops.get(0), summary.get("stopped_early").getAsString());
    assertEquals(lines.size(), summary.get("rounds").getAsInt());
    for (var e : summary.getAsJsonObject("epsilon_per_client").entrySet()) {
      assertTrue(e.getValue().getAsDouble() <= budget, e.toString());
    }
    assertEquals(two, summary.get("epsilon").getAsDouble(), 0);
    // The refused round's traffic (its instructions, the updates of the clients that trained) is
    // on the stopped_early line, so metrics.jsonl accounts for summary.json's byte totals.
    assertTrue(stop.get("bytes_down").getAsLong() > 0, stop.toString());
    assertBytesReconcile(out, summary);
    // timings.jsonl has the refused round's wall time (its clients trained), marked as such.
    List<String> timings = Files.readAllLines(out.resolve("timings.jsonl"));
    JsonObject lastTiming =
        JsonParser.parseString(timings.get(timings.size() - 1)).getAsJsonObject();
    assertEquals("stopped_early", lastTiming.get("event").getAsString(), lastTiming.toString());
    assertEquals(lines.size() + 1, lastTiming.get("round").getAsInt(), lastTiming.toString());
    assertEquals(lines.size() + 1, timings.size(), String.join("\n", timings));
  }

  /**
   * Every byte summary.json counts is on a metrics.jsonl line: the sums of {@code bytes_up} and
   * {@code eval_bytes_up} (and down) over the lines equal its totals, and so do the last line's
   * totals plus its evaluation's bytes.
   */
  static void assertBytesReconcile(Path out, JsonObject summary) throws Exception {
    long up = 0;
    long down = 0;
    List<JsonObject> lines = metrics(out);
    for (JsonObject l : lines) {
      up += num(l, "bytes_up") + num(l, "eval_bytes_up");
      down += num(l, "bytes_down") + num(l, "eval_bytes_down");
    }
    assertEquals(summary.get("bytes_up_total").getAsLong(), up, "bytes up over metrics.jsonl");
    assertEquals(summary.get("bytes_down_total").getAsLong(), down, "bytes down");
    JsonObject last = lines.get(lines.size() - 1);
    assertEquals(
        summary.get("bytes_up_total").getAsLong(),
        num(last, "bytes_up_total") + num(last, "eval_bytes_up"),
        last.toString());
    assertEquals(
        summary.get("bytes_down_total").getAsLong(),
        num(last, "bytes_down_total") + num(last, "eval_bytes_down"),
        last.toString());
  }

  private static long num(JsonObject o, String key) {
    return o.has(key) ? o.get(key).getAsLong() : 0;
  }

  /**
   * Audit: under client-level DP the budget refused a round at aggregation, after its clients had
   * trained and uploaded; summary.json's bytes_up_total counted that traffic and no metrics.jsonl
   * line did. The strategy now refuses the round before sending it out (the decision depends only
   * on the accountant of the last completed round): no client is asked to train for it, the byte
   * totals reconcile, and a resume of the run meets the same stop with the same files.
   */
  @Test
  void clientLevelBudgetRefusesTheRoundBeforeItIsSentOut() throws Exception {
    double two = new RdpAccountant().step(1.0, 2.0, 2).getEpsilon(1e-5);
    double three = new RdpAccountant().step(1.0, 2.0, 3).getEpsilon(1e-5);
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("rounds", "4");
    keys.put("eval.every", "1");
    keys.put("privacy.mode", "client");
    keys.put("privacy.client.noise_multiplier", "2.0");
    keys.put("privacy.client.clip_norm", "0.5");
    keys.put("privacy.epsilon", Double.toString((two + three) / 2));
    Path out = tmp.resolve("client-budget");
    Set<Integer> fitRounds = new TreeSet<>();
    JsonObject summary;
    try (Simulation sim = Simulation.create(config(keys), out)) {
      sim.setMessageTap(
          (round, client, phase, direction, bytes) -> {
            if (phase == org.fedpeft.federation.CommunicationLog.Phase.FIT) {
              fitRounds.add(round);
            }
          });
      summary = sim.run(new Simulation.Listener() {});
    }
    assertEquals(2, summary.get("rounds").getAsInt());
    assertEquals(two, summary.get("epsilon").getAsDouble(), 1e-9);
    assertEquals(Set.of(1, 2), fitRounds, "no client was asked to train in the refused round 3");
    List<JsonObject> lines = metrics(out);
    JsonObject stop = lines.get(lines.size() - 1);
    assertEquals("stopped_early", stop.get("event").getAsString(), stop.toString());
    assertTrue(stop.get("stopped_early").getAsString().contains("round 3"), stop.toString());
    assertEquals(0, stop.get("bytes_up").getAsLong(), stop.toString());
    assertEquals(0, stop.get("bytes_down").getAsLong(), stop.toString());
    assertBytesReconcile(out, summary);
    // Nothing was attempted, so timings.jsonl has the two completed rounds only.
    assertEquals(2, Files.readAllLines(out.resolve("timings.jsonl")).size());
    // A run killed before its summary.json resumes from round 2 and ends with the same files.
    String metricsText = Files.readString(out.resolve("metrics.jsonl"));
    Files.delete(out.resolve("summary.json"));
    JsonObject resumed;
    try (Simulation sim = Simulation.resume(out)) {
      resumed = sim.run(new Simulation.Listener() {});
    }
    assertEquals(metricsText, Files.readString(out.resolve("metrics.jsonl")));
    assertEquals(summary.get("bytes_up_total"), resumed.get("bytes_up_total"));
    assertEquals(summary.get("bytes_down_total"), resumed.get("bytes_down_total"));
  }

  /**
   * Audit: with a noise multiplier of 0 summary.json had {@code "epsilon": null} beside a {@code
   * delta} that qualifies no epsilon. As train --dp-noise 0 records it: no epsilon, no delta, a
   * note why, and {@code "private": false}; metrics.jsonl has no epsilon either.
   */
  @Test
  void aNoiseMultiplierOfZeroRecordsNoEpsilonAndNoDelta() throws Exception {
    for (String mode : List.of("client", "sample")) {
      Path out = tmp.resolve("noise0-" + mode);
      JsonObject summary;
      try (Simulation sim =
          Simulation.create(
              config(
                  Map.of(
                      "rounds",
                      "1",
                      "eval.every",
                      "1",
                      "privacy.mode",
                      mode,
                      "privacy." + mode + ".noise_multiplier",
                      "0")),
              out)) {
        summary = sim.run(new Simulation.Listener() {});
      }
      for (String key : List.of("epsilon", "epsilon_mean", "epsilon_per_client", "delta")) {
        assertFalse(summary.has(key), mode + ": " + key + " in " + summary);
        assertFalse(json(out.resolve("summary.json")).has(key), mode + ": " + key);
      }
      assertEquals(
          "privacy."
              + mode
              + ".noise_multiplier = 0 adds no noise to "
              + (mode.equals("client") ? "the update" : "the gradients")
              + ", so there is no privacy"
              + " guarantee (epsilon is infinite)",
          summary.get("epsilon_note").getAsString());
      assertFalse(summary.get("private").getAsBoolean());
      // QA, 4 December: manifest.json's privacy_note ended with the sampling the epsilon assumed;
      // it now ends with the same note as summary.json, and names no sampling rate.
      String note = json(out.resolve("manifest.json")).get("privacy_note").getAsString();
      assertTrue(note.endsWith("; " + summary.get("epsilon_note").getAsString()), note);
      assertFalse(note.contains("q = "), note);
      for (JsonObject l : metrics(out)) {
        assertFalse(l.has("epsilon"), l.toString());
      }
    }
  }

  @Test
  void aClientOutOfBudgetDeclinesBeforeBuildingAModelOrDrawingNoise() throws Exception {
    SimulationConfig cfg =
        config(
            Map.of(
                "privacy.mode", "sample",
                "privacy.sample.noise_multiplier", "1.0",
                "privacy.epsilon", "8.0"));
    try (FrozenBase base = new FrozenBase(TinyModels.tiny(3))) {
      ModelSpec spec = new ModelSpec("lora", Map.of("rank", "2"), 1, 4, 2);
      ClientModels models = new ClientModels(base);
      Map<String, String> run =
          RunSettingsFixtures.classification(
                  spec,
                  cfg.localSteps(),
                  cfg.learningRate(),
                  cfg.batchSize(),
                  cfg.weightDecay(),
                  cfg.maxGradNorm(),
                  0,
                  StrategyFactory.sampleDpConfig(cfg),
                  "")
              .toConfig();
      List<String> texts = new ArrayList<>();
      int[] labels = new int[16];
      for (int i = 0; i < 16; i++) {
        texts.add("text " + i);
        labels[i] = i % 4;
      }
      EncodedExamples train = EncodedExamples.encode(base.tokenizer(), texts, labels);
      ClientData client = new ClientData("c", 0, train, train);
      Map<String, org.fedpeft.tensor.HostTensor> global;
      try (ModelFactory.Instance m = models.factory(spec).instantiate(Map.of())) {
        global = m.model().state();
      }
      ClientStateStore store = ClientStateStore.inMemory();
      AtomicInteger noiseRequests = new AtomicInteger();
      GaussianNoise noise = GaussianNoise.seededForTestsOnly(99);
      PeftClient app =
          new PeftClient(
              client,
              models,
              store,
              (round, phase) -> {
                noiseRequests.incrementAndGet();
                return noise;
              },
              1);
      FitInstructions in = new FitInstructions("c", 1, global, run);

      // Positive control: with budget left, the client trains, draws noise and charges 3 steps.
      app.fit(in);
      assertEquals(1, noiseRequests.get());
      assertTrue(
          noise.nextGaussian() != GaussianNoise.seededForTestsOnly(99).nextGaussian(),
          "the control drew noise");
      ClientState after = store.load("c").orElseThrow();
      assertEquals(3, SampleLevelDp.accountant(after).totalSteps());

      // Spend the budget up to just below 8, then the next round is declined.
      RdpAccountant acc = SampleLevelDp.accountant(after);
      PrivacyBudget b = new PrivacyBudget(8.0, 1e-5, acc);
      b.charge(0.25, 1.0, b.remainingSteps(0.25, 1.0));
      ClientState spent = SampleLevelDp.record(after, b);
      store.save("c", spent);
      GaussianNoise untouched = GaussianNoise.seededForTestsOnly(7);
      PeftClient refusing =
          new PeftClient(
              client,
              models,
              store,
              (round, phase) -> {
                noiseRequests.incrementAndGet();
                return untouched;
              },
              1);
      ClientDeclinedException e =
          assertThrows(
              ClientDeclinedException.class,
              () -> refusing.fit(new FitInstructions("c", 2, global, run)));
      assertTrue(e.getMessage().startsWith("privacy budget spent"), e.getMessage());
      assertEquals(1, noiseRequests.get(), "no noise source was even asked for");
      assertEquals(GaussianNoise.seededForTestsOnly(7).nextGaussian(), untouched.nextGaussian(), 0);
      assertEquals(spent, store.load("c").orElseThrow(), "nothing charged");
    }
  }

  @Test
  void clientLevelDpWithPoissonSamplingAccountsWithQEqualsMOverN() throws Exception {
    Path out = tmp.resolve("poisson");
    List<Integer> skippedRounds = new ArrayList<>();
    JsonObject summary;
    try (Simulation sim =
        Simulation.create(
            config(
                Map.of(
                    "rounds", "12",
                    "eval.every", "12",
                    "clients_per_round", "1",
                    "client.local_steps", "1",
                    "client_sampling", "poisson",
                    "privacy.mode", "client",
                    "privacy.client.noise_multiplier", "1.5")),
            out)) {
      summary =
          sim.run(
              new Simulation.Listener() {
                @Override
                public void onSkip(int round, String reason) {
                  skippedRounds.add(round);
                }
              });
    }
    List<JsonObject> lines = metrics(out);
    assertEquals(12, lines.size());
    // Every round is released and charged, also one that drew nobody: the analysis with q = m / N
    // assumes a noisy release every round (ClientDpPoissonReleaseTest has the hand computation).
    RdpAccountant charged = new RdpAccountant();
    int empty = 0;
    for (JsonObject l : lines) {
      assertFalse(l.has("skipped"), l.toString());
      if (l.getAsJsonArray("sampled").isEmpty()) {
        empty++;
        assertEquals(0, l.get("accepted").getAsInt());
        assertEquals(0, l.get("bytes_up").getAsLong());
      }
      charged.step(1.0 / 8, 1.5, 1);
      assertEquals(charged.getEpsilon(1e-5), l.get("epsilon").getAsDouble(), 0);
    }
    // q = 1/8 over 8 clients: P(empty) = (7/8)^8 = 0.34; seed 5 gives both kinds.
    assertTrue(empty > 0 && empty < 12, empty + " empty rounds");
    assertEquals(List.of(), skippedRounds);
    assertEquals(0, summary.get("rounds_skipped").getAsInt());
    assertEquals(charged.getEpsilon(1e-5), summary.get("epsilon").getAsDouble(), 0);
    assertTrue(
        summary
            .get("epsilon_sampling")
            .getAsString()
            .contains("Poisson client sampling, q = 0.125"),
        summary.get("epsilon_sampling").getAsString());
    assertEquals("poisson", summary.get("client_sampling").getAsString());
    // the fixed-size default keeps q = 1
    assertTrue(
        StrategyFactory.privacyNote(config(Map.of("privacy.mode", "client"))).contains("q = 1"));
  }

  @Test
  void badCombinationsAreRejectedNamingTheKey() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> config(Map.of("privacy.mode", "sample", "client.proximal_mu", "0.1")));
    assertTrue(e.getMessage().contains("client.proximal_mu"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> config(Map.of("client_sampling", "bernoulli")));
    assertTrue(e.getMessage().contains("client_sampling"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> config(Map.of("privacy.mode", "samples")));
    assertTrue(e.getMessage().contains("privacy.mode"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class, () -> config(Map.of("privacy.sample.noise_multiplier", "-1")));
    assertTrue(e.getMessage().contains("privacy.sample.noise_multiplier"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> config(Map.of("privacy.sample.clip_norm", "0")));
    assertTrue(e.getMessage().contains("privacy.sample.clip_norm"), e.getMessage());
  }
}
