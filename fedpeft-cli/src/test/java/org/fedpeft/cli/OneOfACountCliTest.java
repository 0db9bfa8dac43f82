package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: train and tasks export printed "1 examples" for one test example, where eval
 * printed "1 example". Every count the commands print takes its noun from {@link Main#plural}.
 */
class OneOfACountCliTest {

  @TempDir Path dir;

  @Test
  void pluralAddsAnSExceptForOne() {
    assertEquals("example", Main.plural(1, "example"));
    assertEquals("examples", Main.plural(0, "example"));
    assertEquals("examples", Main.plural(2, "example"));
    assertEquals("1 round", SimulateCommand.roundCount(1));
    assertEquals("3 rounds", SimulateCommand.roundCount(3));
  }

  @Test
  void trainOnOneTestExampleSaysOneExample() throws Exception {
    Path model = CliRun.tinyModelFolder(dir.resolve("model"));
    Path data = CliRun.animalsAndFood(dir.resolve("train.jsonl"), 10);
    Path test =
        CliRun.jsonl(
            dir.resolve("test.jsonl"), List.<String[]>of(new String[] {"a cat", "animal"}));
    CliRun.Result r =
        CliRun.run(
            "train",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--test",
            test.toString(),
            "--steps",
            "1",
            "--eval-every",
            "0",
            "--out",
            dir.resolve("run").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out().matches("(?s)test accuracy: \\S+ \\(loss \\S+, 1 example\\) after 1 step in .*"),
        r.out());
    assertTrue(
        r.err()
            .matches("(?s).*data: .*, 2 labels, \\d+ train / \\d+ validation / 1 test example\n.*"),
        r.err());
  }

  @Test
  void tasksExportOfOneTestExampleSaysOneExample() {
    Path out = dir.resolve("export");
    CliRun.Result r =
        CliRun.run(
            "tasks",
            "export",
            "wordnet-verb-frame",
            "--out",
            out.toString(),
            "--max-train",
            "20",
            "--max-validation",
            "5",
            "--max-test",
            "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains(": train 20, validation 5, test 1 example, "), r.out());
  }

  @Test
  void simulateLinesSayOneExampleAndOneClient() {
    JsonObject summary = new JsonObject();
    summary.addProperty("rounds", 1);
    summary.addProperty("final_accuracy", 1.0);
    summary.addProperty("final_loss", 0.5);
    summary.addProperty("test_examples", 1);
    assertEquals(
        "final accuracy: 1.0000 (loss 0.5000, 1 test example) after 1 round",
        SimulateCommand.finalLine(summary));
    JsonObject federated = new JsonObject();
    federated.addProperty("rounds", 2);
    federated.addProperty("final_client_accuracy_mean", 1.0);
    federated.addProperty("final_client_loss_mean", 0.5);
    federated.addProperty("eval_examples", 1);
    federated.addProperty("final_eval_round", 2);
    assertTrue(
        SimulateCommand.finalLine(federated)
            .endsWith("mean 1.0000 (loss 0.5000, 1 held-out example, round 2) after 2 rounds"),
        SimulateCommand.finalLine(federated));
    federated.addProperty("stopped_early", true);
    federated.addProperty("rounds_configured", 1);
    federated.addProperty("rounds", 0);
    assertTrue(
        SimulateCommand.finalLine(federated)
            .endsWith("after 0 of 1 round (stopped early: the privacy budget is spent)"),
        SimulateCommand.finalLine(federated));
    Map<String, Object> line =
        Map.of("eval_failures", List.of(Map.of("client", "client-0", "reason", "boom")));
    assertEquals(
        "round 3: 1 of 1 client evaluation failed (client-0: boom); every failure: eval_failures"
            + " in metrics.jsonl",
        SimulateCommand.evalFailureLine(3, line));
  }
}
