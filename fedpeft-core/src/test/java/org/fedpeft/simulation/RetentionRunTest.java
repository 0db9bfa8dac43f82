package org.fedpeft.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.data.Tasks;
import org.fedpeft.eval.Retention;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.train.FrozenBase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tiny runs of FedBE, top-k block fine-tuning and LoRA with {@code eval.retention} and {@code
 * eval.target_accuracy}: summary.json's retention equals the scores of the base model and of the
 * saved adapter measured here, and rounds_to_target equals the first round of metrics.jsonl whose
 * accuracy reaches the target.
 */
class RetentionRunTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = TinyRuns.model(tmp.resolve("tiny"));
    data = TinyRuns.topicData(tmp.resolve("data.jsonl"), 80);
  }

  static SimulationConfig config(String method, String strategy, double target) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("seed", "5");
    o.put("rounds", "3");
    o.put("clients", "4");
    o.put("clients_per_round", "2");
    o.put("data.file", data.toString());
    o.put("data.max_eval", "40");
    o.put("model.name", model.toString());
    o.put("adapter.method", method);
    o.put("server.strategy", strategy);
    o.put("client.local_steps", "3");
    o.put("client.batch_size", "4");
    o.put("client.learning_rate", "5e-2");
    o.put("eval.every", "1");
    o.put("eval.target_accuracy", Double.toString(target));
    o.put("eval.retention", "true");
    o.put("eval.retention_documents", "30");
    o.put("eval.retention_queries", "20");
    o.put("eval.retention_train", "60");
    o.put("eval.retention_test", "30");
    o.put("eval.retention_seed", "3");
    return SimulationConfig.of(Map.of(), o, "test");
  }

  /** FedBE, top-k block fine-tuning (averaged by FedAvg) and LoRA (FedIT). */
  @ParameterizedTest
  @CsvSource({"fedbe, fedbe", "top-blocks, fedavg", "lora, fedit"})
  void summaryHoldsRetentionOfTheSavedAdapterAndRoundsToTarget(String method, String strategy)
      throws Exception {
    Path out = tmp.resolve("run-" + method);
    JsonObject summary;
    try (Simulation sim = Simulation.create(config(method, strategy, 0.3), out)) {
      summary = sim.run(new Simulation.Listener() {});
    }
    // rounds_to_target, from the metrics lines read here.
    Integer expected = null;
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      JsonObject l = JsonParser.parseString(line).getAsJsonObject();
      if (expected == null && l.get("accuracy").getAsDouble() >= 0.3) {
        expected = l.get("round").getAsInt();
      }
    }
    JsonObject written =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertTrue(written.has("rounds_to_target"), "written even when null: " + written);
    JsonElement r = written.get("rounds_to_target");
    assertEquals(expected, r.isJsonNull() ? null : r.getAsInt());
    assertEquals(0.3, written.get("target_accuracy").getAsDouble());

    // Retention: the base model's scores and those of the saved adapter, measured here.
    JsonObject retention = summary.getAsJsonObject("retention");
    Retention.Settings settings = new Retention.Settings(Tasks.VERB_TOPIC, 30, 20, 60, 30, 3, 64);
    Retention measure = Retention.load(settings);
    try (FrozenBase base = new FrozenBase(PretrainedModel.load(model.toString()));
        Adapter a =
            AdapterFiles.instantiate(
                out.resolve("adapter"),
                AdapterFiles.read(out.resolve("adapter")),
                base.encoder())) {
      Retention.Scores before =
          measure.score(new SentenceEmbedder(base.encoder(), base.tokenizer(), EncoderHooks.NONE));
      Retention.Scores after =
          measure.score(new SentenceEmbedder(base.encoder(), base.tokenizer(), a));
      JsonObject expectedJson = measure.compare(before, after).toJson();
      for (String part : List.of("retrieval", "centroid")) {
        for (String k : List.of("task", "before", "after", "examples")) {
          assertEquals(
              expectedJson.getAsJsonObject(part).get(k),
              retention.getAsJsonObject(part).get(k),
              part + "." + k);
        }
      }
      List<String> text = List.of("to walk slowly along the river");
      assertFalse(
          java.util.Arrays.equals(
              new SentenceEmbedder(base.encoder(), base.tokenizer(), EncoderHooks.NONE)
                  .embed(text, 1)[0],
              new SentenceEmbedder(base.encoder(), base.tokenizer(), a).embed(text, 1)[0]),
          "the trained adapter changes the embeddings");
    }
    assertEquals(
        retention.getAsJsonObject("centroid").get("after").getAsDouble()
            / retention.getAsJsonObject("centroid").get("before").getAsDouble(),
        retention.getAsJsonObject("centroid").get("ratio").getAsDouble(),
        1e-12);
    assertTrue(retention.get("seconds").getAsDouble() >= 0);
  }

  @Test
  void retentionAndTargetAreOffByDefault() {
    SimulationConfig c = SimulationConfig.of(Map.of(), Map.of(), "defaults");
    assertFalse(c.eval().retention());
    assertEquals(0.0, c.eval().targetAccuracy());
    assertEquals(Tasks.VERB_TOPIC, c.eval().retentionTask());
  }
}
