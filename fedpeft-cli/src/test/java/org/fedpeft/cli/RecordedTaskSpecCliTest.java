package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedpeft.peft.AdapterFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task an adapter folder records, as eval reads it back. */
class RecordedTaskSpecCliTest {

  @TempDir Path tmp;

  /**
   * QA, 3 December: an adapter trained on "--task wordnet-domain-topic:minClassSize=50" (26
   * classes) recorded the task as "wordnet-domain-topic", so eval without --task evaluated it on
   * the 15-class default task and printed that accuracy as the run's. The folder records the spec
   * with its parameters, and eval loads that task.
   */
  @Test
  void aTaskWithParametersIsRecordedWithThemAndEvalLoadsIt() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("model"));
    String spec = "wordnet-domain-topic:minClassSize=50";
    Path run = tmp.resolve("run");
    CliRun.Result r =
        CliRun.run(
            "train",
            "--model",
            model.toString(),
            "--task",
            spec,
            "--max-train",
            "30",
            "--max-eval",
            "30",
            "--steps",
            "1",
            "--eval-every",
            "0",
            "--out",
            run.toString());
    assertEquals(0, r.code(), r.err());
    Path adapter = run.resolve("adapter");
    JsonObject config =
        JsonParser.parseString(Files.readString(adapter.resolve(AdapterFiles.CONFIG_FILE)))
            .getAsJsonObject();
    assertEquals(spec, config.getAsJsonObject("extra").get("task").getAsString());
    assertEquals(26, config.getAsJsonArray("labels").size());
    assertEquals(spec, summaryTask(run), "summary.json's task names the parameters too");
    CliRun.Result ev = CliRun.run("eval", adapter.toString(), "--model", model.toString());
    assertEquals(0, ev.code(), ev.err());
    assertTrue(ev.err().contains("task " + spec + " (recorded with the adapter)"), ev.err());
    assertTrue(ev.out().contains("examples of " + spec + ")"), ev.out());

    // A folder written before: the bare name. eval refuses to evaluate on the default task.
    JsonObject extra = config.getAsJsonObject("extra");
    extra.addProperty("task", "wordnet-domain-topic");
    Files.writeString(adapter.resolve(AdapterFiles.CONFIG_FILE), config.toString());
    ev = CliRun.run("eval", adapter.toString(), "--model", model.toString());
    assertEquals(2, ev.code(), ev.err());
    assertEquals("", ev.out());
    assertTrue(
        ev.err()
            .contains(
                adapter
                    + " records the task wordnet-domain-topic, but the adapter's 26 labels are not"
                    + " that task's 15: it was trained on the task with other parameters"),
        ev.err());
    ev = CliRun.run("eval", adapter.toString(), "--model", model.toString(), "--task", spec);
    assertEquals(0, ev.code(), ev.err());
  }

  /** The same for simulate's adapter folder (data.task with parameters). */
  @Test
  void simulateRecordsTheTaskWithItsParameters() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("model"));
    String spec = "wordnet-domain-topic:minClassSize=50";
    Path config = tmp.resolve("run.toml");
    Files.writeString(
        config,
        """
        seed = 5
        rounds = 1
        clients = 2
        clients_per_round = 1

        [data]
        task = "%s"
        max_train = 40
        max_eval = 20

        [model]
        name = "%s"

        [client]
        local_steps = 1
        batch_size = 4
        """
            .formatted(spec, model.toString().replace("\\", "\\\\")));
    Path run = tmp.resolve("sim");
    CliRun.Result r = CliRun.run("simulate", config.toString(), "--out", run.toString());
    assertEquals(0, r.code(), r.err());
    JsonObject saved =
        JsonParser.parseString(
                Files.readString(run.resolve("adapter").resolve(AdapterFiles.CONFIG_FILE)))
            .getAsJsonObject();
    assertEquals(spec, saved.getAsJsonObject("extra").get("task").getAsString());
    assertEquals(spec, summaryTask(run), "summary.json's task names the parameters too");
  }

  private static String summaryTask(Path run) throws Exception {
    return JsonParser.parseString(Files.readString(run.resolve("summary.json")))
        .getAsJsonObject()
        .get("task")
        .getAsString();
  }

  /**
   * QA, 3 December: retrieve --task T with a head trained on T with other parameters said only
   * "train the head on this corpus"; it names the task the adapter recorded.
   */
  @Test
  void retrieveNamesTheTaskTheHeadWasTrainedOn() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("model"));
    String spec = "wordnet-sense-retrieval:documents=20";
    Path run = tmp.resolve("car");
    CliRun.Result r =
        CliRun.run(
            "train",
            "--model",
            model.toString(),
            "--task",
            spec,
            "--adapter",
            "none",
            "--max-train",
            "20",
            "--max-eval",
            "10",
            "--steps",
            "1",
            "--eval-every",
            "0",
            "--out",
            run.toString());
    assertEquals(0, r.code(), r.err());
    String adapter = run.resolve("adapter").toString();
    r =
        CliRun.run(
            "retrieve",
            "--model",
            model.toString(),
            "--task",
            "wordnet-sense-retrieval",
            "--adapter",
            adapter,
            "a dog");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "has 1000 documents (it was trained on the task "
                    + spec
                    + ": give --task "
                    + spec
                    + ")"),
        r.err());
    r =
        CliRun.run(
            "retrieve",
            "--model",
            model.toString(),
            "--task",
            spec,
            "--adapter",
            adapter,
            "--top-k",
            "1",
            "a dog");
    assertEquals(0, r.code(), r.err());
  }
}
