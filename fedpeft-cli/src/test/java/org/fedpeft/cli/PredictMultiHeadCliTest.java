package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpeft predict} on adapters with more than one adapter or head: a FedDPA client's folder
 * (global and local adapters, instance-wise weighting) and the run's global folder, and a
 * multi-task head. Each predicts what {@code eval} scores.
 */
class PredictMultiHeadCliTest {

  @TempDir static Path dir;
  static Path model;

  @BeforeAll
  static void setUp() throws Exception {
    model = CliRun.tinyModelFolder(dir.resolve("model"));
  }

  /**
   * The fraction of {@code test}'s rows whose label {@code predict ADAPTER --input test} gives is
   * the row's equals the accuracy {@code eval ADAPTER --test test} prints; returns predict's lines.
   */
  private static List<JsonObject> assertPredictsAsEvalScores(Path adapter, Path test)
      throws Exception {
    CliRun.Result eval =
        CliRun.run("eval", adapter.toString(), "-m", model.toString(), "--test", test.toString());
    assertEquals(0, eval.code(), eval.err());
    CliRun.Result r =
        CliRun.run(
            "predict", adapter.toString(), "-m", model.toString(), "--input", test.toString());
    assertEquals(0, r.code(), r.err());
    List<String> rows = Files.readAllLines(test);
    String[] out = r.out().strip().split("\n");
    assertEquals(rows.size(), out.length, r.out());
    List<JsonObject> lines = new ArrayList<>();
    int right = 0;
    for (int i = 0; i < out.length; i++) {
      JsonObject got = JsonParser.parseString(out[i]).getAsJsonObject();
      lines.add(got);
      String want =
          JsonParser.parseString(rows.get(i)).getAsJsonObject().get("label").getAsString();
      right += got.get("label").getAsString().equals(want) ? 1 : 0;
    }
    String accuracy =
        String.format(Locale.ROOT, "test accuracy: %.4f (", (double) right / rows.size());
    assertTrue(eval.out().startsWith(accuracy), adapter + ": " + eval.out() + " vs " + r.out());
    return lines;
  }

  /**
   * A FedDPA run's client folder (its global and local adapters weighted per text) and its global
   * folder each predict the labels eval scores on them.
   */
  @Test
  void fedDpaClientAndGlobalFoldersPredictAsEvalScores() throws Exception {
    Path data = CliRun.animalsAndFood(dir.resolve("train.jsonl"), 10);
    Path out = dir.resolve("dpa");
    CliRun.Result r =
        CliRun.smallSimulate(
            dir.resolve("dpa.toml"),
            out,
            model,
            data,
            "[adapter]\nmethod = \"feddpa\"\nrank = 4\n",
            "client.local_steps=4");
    assertEquals(0, r.code(), r.err());
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      rows.add(
          i % 2 == 0
              ? "{\"text\": \"a furry animal " + i + "\", \"label\": \"animal\"}"
              : "{\"text\": \"something to eat " + i + "\", \"label\": \"food\"}");
    }
    Path test = Files.write(dir.resolve("dpa-test.jsonl"), rows);
    Path client;
    try (var clients = Files.list(out.resolve("clients"))) {
      client = clients.sorted().findFirst().orElseThrow().resolve("adapter");
    }
    List<JsonObject> local = assertPredictsAsEvalScores(client, test);
    List<JsonObject> global = assertPredictsAsEvalScores(out.resolve("adapter"), test);
    // The client's local adapter and weighting change what it computes.
    assertTrue(!local.equals(global), local + " vs " + global);
  }

  /**
   * A multi-task head: a row's task picks its head (eval's accuracy over the rows again); a text
   * without a task gets every task's prediction, and --task picks one.
   */
  @Test
  void aMultiTaskHeadAnswersByTask() throws Exception {
    List<String> train = new ArrayList<>();
    List<String> test = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      train.add(row("animals", "a small animal " + i, i % 2 == 0 ? "cat" : "dog"));
      train.add(row("food", "a kind of food " + i, i % 2 == 0 ? "sweet" : "salty"));
    }
    for (int i = 0; i < 4; i++) {
      test.add(row("animals", "a furry animal " + i, i % 2 == 0 ? "cat" : "dog"));
      test.add(row("food", "something to eat " + i, i % 2 == 0 ? "sweet" : "salty"));
    }
    Path trainFile = Files.write(dir.resolve("multi-train.jsonl"), train);
    Path testFile = Files.write(dir.resolve("multi-test.jsonl"), test);
    Path out = dir.resolve("multi");
    CliRun.Result r =
        CliRun.run(
            "train",
            "--model",
            model.toString(),
            "--data",
            trainFile.toString(),
            "--test",
            testFile.toString(),
            "--steps",
            "2",
            "--eval-every",
            "0",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    Path adapter = out.resolve("adapter");
    List<JsonObject> lines = assertPredictsAsEvalScores(adapter, testFile);
    assertEquals("animals", lines.get(0).get("task").getAsString());
    assertEquals(2, lines.get(0).getAsJsonArray("top").size(), lines.get(0).toString());
    assertTrue(
        List.of("sweet", "salty").contains(lines.get(1).get("label").getAsString()),
        lines.get(1).toString());

    CliRun.Result every =
        CliRun.run("predict", adapter.toString(), "-m", model.toString(), "a furry animal 0");
    assertEquals(0, every.code(), every.err());
    JsonObject tasks =
        JsonParser.parseString(every.out()).getAsJsonObject().getAsJsonObject("tasks");
    assertEquals(List.of("animals", "food"), new ArrayList<>(tasks.keySet()));
    CliRun.Result one =
        CliRun.run(
            "predict",
            adapter.toString(),
            "-m",
            model.toString(),
            "--task",
            "food",
            "a furry animal 0");
    assertEquals(0, one.code(), one.err());
    JsonObject food = JsonParser.parseString(one.out()).getAsJsonObject();
    assertEquals("food", food.get("task").getAsString());
    assertEquals(tasks.getAsJsonObject("food").get("label"), food.get("label"));
    assertEquals(tasks.getAsJsonObject("food").get("top"), food.get("top"));

    CliRun.Result unknown =
        CliRun.run(
            "predict", adapter.toString(), "-m", model.toString(), "--task", "colour", "a cat");
    assertEquals(2, unknown.code(), unknown.err());
    assertEquals(
        "fedpeft predict: --task colour is not a task of " + adapter + ": [animals, food]",
        unknown.err().strip());

    // eval on data of one of its two tasks is refused, saying how to give them all
    Path animals =
        Files.write(
            dir.resolve("animals-test.jsonl"),
            test.stream().filter(l -> l.contains("\"animals\"")).toList());
    CliRun.Result part =
        CliRun.run(
            "eval", adapter.toString(), "-m", model.toString(), "--test", animals.toString());
    assertEquals(2, part.code(), part.err());
    assertTrue(
        part.err()
            .strip()
            .endsWith(
                " has the tasks [animals]: eval scores a multi-task adapter on data of each of its"
                    + " tasks (bundled tasks: --task animals+food)"),
        part.err());
  }

  private static String row(String task, String text, String label) {
    JsonObject o = new JsonObject();
    o.addProperty("text", text);
    o.addProperty("label", label);
    o.addProperty("task", task);
    return o.toString();
  }
}
