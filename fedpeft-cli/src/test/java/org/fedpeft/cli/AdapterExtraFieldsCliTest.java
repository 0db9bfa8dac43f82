package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 4 December: retrieve and eval read what an adapter folder's {@code extra} records of its run
 * (seed, objective, task, max_eval) with Gson's getters, so a hand-edited value of another type was
 * read silently ({@code "seed": "42"} as 42 by eval and as "no seed" by retrieve, which drew the
 * corpus with 42; {@code "objective": ["contrastive"]} as contrastive; {@code "task": []} ignored;
 * {@code "max_eval": "1000"} as 1000) or failed with Gson's exception and exit 1 (null, []). Both
 * now read them through {@link AdapterFiles}' typed reader: exit 2 naming the file and the field.
 */
class AdapterExtraFieldsCliTest {

  @TempDir static Path tmp;
  static Path model;
  static Path corpus;
  private static int folders;

  @BeforeAll
  static void setUp() throws Exception {
    model = CliRun.tinyModelFolder(tmp.resolve("model"));
    corpus = tmp.resolve("corpus.jsonl");
    Files.writeString(
        corpus, "{\"id\": \"a\", \"text\": \"one\"}\n{\"id\": \"b\", \"text\": \"two\"}\n");
  }

  /** A head-only adapter folder whose {@code extra} is then edited to {@code extraJson}. */
  private static Path adapter(String extraJson) throws Exception {
    Path dir = tmp.resolve("adapter-" + folders++);
    AdapterFiles.save(
        dir,
        null,
        0,
        Map.of(
            "classifier.weight", HostTensor.zeros(2, 32), "classifier.bias", HostTensor.zeros(2)),
        List.of("a", "b"),
        null,
        new JsonObject());
    Path config = dir.resolve(AdapterFiles.CONFIG_FILE);
    JsonObject c = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    c.add("extra", JsonParser.parseString(extraJson));
    Files.writeString(config, new GsonBuilder().serializeNulls().create().toJson(c));
    return dir;
  }

  private static void refused(String extraJson, String message, String... args) throws Exception {
    Path dir = adapter(extraJson);
    String[] withAdapter = new String[args.length];
    for (int i = 0; i < args.length; i++) {
      withAdapter[i] = args[i].equals("ADAPTER") ? dir.toString() : args[i];
    }
    CliRun.Result r = CliRun.run(withAdapter);
    assertEquals(2, r.code(), extraJson + ": " + r.err());
    String want =
        "fedpeft " + args[0] + ": " + dir.resolve(AdapterFiles.CONFIG_FILE) + ": " + message + "\n";
    assertTrue(r.err().endsWith(want), extraJson + ": " + r.err());
  }

  @Test
  void retrieveRefusesAnObjectiveOrSeedOfAnotherType() throws Exception {
    String[] withCorpus = {
      "retrieve",
      "--model",
      model.toString(),
      "--adapter",
      "ADAPTER",
      "--corpus",
      corpus.toString(),
      "one"
    };
    String objective = "field \"extra.objective\" must be a string, found ";
    refused("{\"objective\": [\"contrastive\"]}", objective + "[\"contrastive\"]", withCorpus);
    refused("{\"objective\": []}", objective + "[]", withCorpus);
    refused("{\"objective\": {}}", objective + "{}", withCorpus);
    refused("{\"objective\": null}", "missing field \"extra.objective\"", withCorpus);

    String[] withTask = {
      "retrieve",
      "--model",
      model.toString(),
      "--adapter",
      "ADAPTER",
      "--task",
      "wordnet-sense-retrieval:documents=20",
      "one"
    };
    String seed = "field \"extra.seed\" must be an integer, found ";
    refused("{\"seed\": \"42\"}", seed + "\"42\"", withTask);
    refused("{\"seed\": 7.9}", seed + "7.9", withTask);
    refused("{\"seed\": [42]}", seed + "[42]", withTask);
    refused("{\"seed\": null}", "missing field \"extra.seed\"", withTask);
  }

  @Test
  void evalRefusesASeedTaskOrMaxEvalOfAnotherType() throws Exception {
    String[] eval = {"eval", "ADAPTER", "--model", model.toString()};
    String seed = "field \"extra.seed\" must be an integer, found ";
    refused("{\"seed\": \"42\"}", seed + "\"42\"", eval);
    refused("{\"seed\": {}}", seed + "{}", eval);
    String task = "field \"extra.task\" must be a string, found ";
    refused("{\"seed\": 42, \"task\": []}", task + "[]", eval);
    refused("{\"seed\": 42, \"task\": {}}", task + "{}", eval);
    refused(
        "{\"seed\": 42, \"task\": \"wordnet-sense-retrieval:documents=20\", \"max_eval\":"
            + " \"1000\"}",
        "field \"extra.max_eval\" must be an integer, found \"1000\"",
        eval);
  }

  /** A folder whose fields have the right types retrieves as before. */
  @Test
  void valuesOfTheRightTypeAreRead() throws Exception {
    Path dir = adapter("{\"seed\": 42, \"objective\": \"classification\"}");
    CliRun.Result r =
        CliRun.run(
            "retrieve",
            "--model",
            model.toString(),
            "--adapter",
            dir.toString(),
            "--corpus",
            corpus.toString(),
            "one");
    assertEquals(0, r.code(), r.err());
    JsonObject line = JsonParser.parseString(r.out().strip()).getAsJsonObject();
    assertEquals(2, line.getAsJsonArray("results").size());
  }
}
