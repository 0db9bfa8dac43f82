package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.RandomBert;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of a user's model folder, 4 December: the methods on Hugging Face BERT folders of other shapes
 * than the bundled MiniLM (6 layers, hidden 384, 12 heads), through {@code simulate}, {@code
 * train}, {@code eval} and {@code embed} as a user runs them. Each either runs to the end with
 * finite metrics or is refused before training, naming the key and what would work. Found: a model
 * with one layer was said to have "1 blocks" (FedBE's positions, top-blocks' blocks, a
 * config.json/weights layer mismatch), and FedBE's negative positions were named as {@code
 * adapter.method} instead of {@code adapter.positions}.
 */
class UserModelShapesCliTest {

  @TempDir static Path tmp;

  /** 3 layers, hidden 48, 4 heads (head size 12), FFN 96, 64 positions, a cased tokenizer. */
  static Path threeLayers;

  /** 1 layer, hidden 32, 4 heads, FFN 64, 64 positions. */
  static Path oneLayer;

  static Path data;

  @BeforeAll
  static void models() throws Exception {
    threeLayers = model("three-layers", 3, 48, 4, 96, true);
    oneLayer = model("one-layer", 1, 32, 4, 64, false);
    List<String[]> rows = new ArrayList<>();
    String[] topics = {"fruit Apple pear", "tool hammer saw", "sport run swim"};
    StringBuilder longText = new StringBuilder(); // beyond the 64 positions
    for (int i = 0; i < 100; i++) {
      longText.append(" word").append(i);
    }
    for (int i = 0; i < 30; i++) {
      rows.add(new String[] {topics[i % 3] + " " + i + (i == 4 ? longText : ""), "t" + (i % 3)});
    }
    data = CliRun.jsonl(tmp.resolve("data.jsonl"), rows);
  }

  /** A random BERT of this shape with the bundled vocabulary, saved as a Hugging Face folder. */
  private static Path model(String name, int layers, int hidden, int heads, int ffn, boolean cased)
      throws Exception {
    PretrainedModel bundled = PretrainedModel.bundledMiniLm();
    BertConfig c =
        new BertConfig(bundled.config().vocabSize(), hidden, layers, heads, ffn, 64, 2, 1e-12f);
    byte[] tokenizer = bundled.tokenizerJson();
    if (cased) {
      String json = new String(tokenizer, StandardCharsets.UTF_8);
      String casedJson = json.replaceFirst("\"lowercase\":\\s*true", "\"lowercase\": false");
      assertNotEquals(json, casedJson, "the bundled tokenizer's normalizer lower-cases");
      tokenizer = casedJson.getBytes(StandardCharsets.UTF_8);
    }
    Path dir = tmp.resolve(name);
    HuggingFaceFolder.save(new PretrainedModel(name, RandomBert.weights(c, 5), tokenizer, 64), dir);
    return dir;
  }

  private static int runs;

  /** {@code simulate}: 2 clients, 2 rounds of 2 local steps on {@code data}, plus {@code toml}. */
  private static CliRun.Result simulate(Path model, String toml, String... sets) throws Exception {
    return simulate(model, data, toml, sets);
  }

  /** As {@link #simulate(Path, String, String...)}, on {@code file}. */
  private static CliRun.Result simulate(Path model, Path file, String toml, String... sets)
      throws Exception {
    ++runs;
    return CliRun.smallSimulate(
        tmp.resolve("run" + runs + ".toml"), tmp.resolve("out" + runs), model, file, toml, sets);
  }

  private static void assertRunsWithFiniteAccuracy(String what, CliRun.Result r) throws Exception {
    assertEquals(0, r.code(), what + ": " + r.err());
    JsonObject summary =
        JsonParser.parseString(Files.readString(tmp.resolve("out" + runs).resolve("summary.json")))
            .getAsJsonObject();
    double accuracy = summary.get("final_accuracy").getAsDouble();
    assertTrue(accuracy >= 0 && accuracy <= 1, what + ": " + accuracy);
    assertTrue(Double.isFinite(summary.get("final_loss").getAsDouble()), what + ": " + summary);
  }

  @Test
  void everyMethodRunsOnThreeLayersOfHidden48() throws Exception {
    String[][] methods = {
      {"lora, FedIT", "[adapter]\nmethod = \"lora\"\nrank = 4\n"},
      {
        "ravan, heads * rank = hidden",
        "[adapter]\nmethod = \"ravan\"\nheads = 4\nrank = 12\n[server]\nstrategy = \"fedavg\"\n"
      },
      {"feddpa T", "[adapter]\nmethod = \"feddpa\"\nrank = 4\n"},
      {
        "fedbe at blocks 0 and 2",
        "[adapter]\nmethod = \"fedbe\"\nblocks = 2\npositions = [\"0\", \"2\"]\n"
            + "[server]\nstrategy = \"fedbe\"\n"
      },
      {
        "fedbe, more new blocks than base blocks",
        "[adapter]\nmethod = \"fedbe\"\nblocks = 5\n[server]\nstrategy = \"fedbe\"\n"
      },
      {
        "softembed lowrank, rank = hidden",
        "[adapter]\nmethod = \"softembed\"\nform = \"lowrank\"\nrank = 48\n"
            + "[server]\nstrategy = \"fedavg\"\n"
      },
      {
        "softembed mlp wider than hidden",
        "[adapter]\nmethod = \"softembed\"\nform = \"mlp\"\nrank = 200\nplacement = \"embeddings\"\n"
            + "[server]\nstrategy = \"fedavg\"\n"
      },
      {
        "top-blocks, every block",
        "[adapter]\nmethod = \"top-blocks\"\nblocks = 3\n[server]\nstrategy = \"fedavg\"\n"
      },
    };
    for (String[] m : methods) {
      String[] sets =
          m[0].startsWith("feddpa") ? new String[] {"client.local_steps=4"} : new String[0];
      assertRunsWithFiniteAccuracy(m[0], simulate(threeLayers, m[1], sets));
    }
  }

  @Test
  void classifierAsRetrieverOnTheUsersModel() throws Exception {
    List<String> corpus = new ArrayList<>();
    List<String> queries = new ArrayList<>();
    for (int d = 0; d < 4; d++) {
      corpus.add("{\"id\": \"d" + d + "\", \"text\": \"document about topic " + d + "\"}");
      for (int q = 0; q < 5; q++) {
        queries.add("{\"text\": \"query " + q + " on topic " + d + "\", \"doc\": \"d" + d + "\"}");
      }
    }
    Path corpusFile = Files.write(tmp.resolve("corpus.jsonl"), corpus);
    Path queryFile = Files.write(tmp.resolve("queries.jsonl"), queries);
    CliRun.Result r =
        simulate(
            threeLayers,
            queryFile,
            "[head]\ninit = \"documents\"\n[adapter]\nmethod = \"softembed\"\n"
                + "[server]\nstrategy = \"fedavg\"\n",
            "data.corpus=" + corpusFile);
    assertRunsWithFiniteAccuracy("classifier-as-retriever", r);
    CliRun.Result retrieve =
        CliRun.run(
            "retrieve",
            "--model",
            threeLayers.toString(),
            "--corpus",
            corpusFile.toString(),
            "--adapter",
            tmp.resolve("out" + runs).resolve("adapter").toString(),
            "--top-k",
            "2",
            "topic 3");
    assertEquals(0, retrieve.code(), retrieve.err());
    JsonObject answer = JsonParser.parseString(retrieve.out().trim()).getAsJsonObject();
    assertEquals(2, answer.getAsJsonArray("results").size(), retrieve.out());
  }

  @Test
  void whatTheShapeDoesNotAllowIsRefusedNamingTheKey() throws Exception {
    String[][] refused = {
      {
        "[adapter]\nmethod = \"lora\"\nrank = 64\n",
        "adapter.rank = 64 is more than encoder.layer.0.attention.self.query allows (48 x 48)",
        "give rank <= 48"
      },
      {
        "[adapter]\nmethod = \"ravan\"\nheads = 4\nrank = 16\n[server]\nstrategy = \"fedavg\"\n",
        "adapter.rank = 16 with heads = 4 is too large for init = gram-schmidt",
        "lower heads or rank, or use init = normal"
      },
      {
        "[adapter]\nmethod = \"softembed\"\nform = \"lowrank\"\nrank = 64\n"
            + "[server]\nstrategy = \"fedavg\"\n",
        "adapter.rank = 64 is more than form = lowrank allows on this model (hidden size 48)",
        "give rank <= 48"
      },
      {
        "[adapter]\nmethod = \"fedbe\"\nblocks = 1\npositions = [\"3\"]\n"
            + "[server]\nstrategy = \"fedbe\"\n",
        "adapter.positions = 3: position 3 is not a base block (the encoder has 3 blocks, 0 to 2)",
        ""
      },
      {
        "[adapter]\nmethod = \"top-blocks\"\nblocks = 4\n[server]\nstrategy = \"fedavg\"\n",
        "adapter.blocks = 4 must be in [1, 3] (the encoder has 3 blocks)",
        ""
      },
    };
    for (String[] r : refused) {
      CliRun.Result result = simulate(threeLayers, r[0]);
      assertEquals(2, result.code(), result.err());
      assertTrue(result.err().startsWith("fedpeft simulate: " + r[1]), result.err());
      assertTrue(result.err().contains(r[2]), result.err());
    }
  }

  // A one-layer model was said to have "1 blocks".
  @Test
  void aOneLayerModelHasOneBlock() throws Exception {
    assertRunsWithFiniteAccuracy(
        "fedbe, default positions on one layer",
        simulate(oneLayer, "[adapter]\nmethod = \"fedbe\"\n[server]\nstrategy = \"fedbe\"\n"));
    CliRun.Result positions =
        simulate(
            oneLayer,
            "[adapter]\nmethod = \"fedbe\"\npositions = [\"0\", \"2\"]\n"
                + "[server]\nstrategy = \"fedbe\"\n");
    assertEquals(2, positions.code(), positions.err());
    assertEquals(
        "fedpeft simulate: adapter.positions = 0+2: position 2 is not a base block (the encoder"
            + " has 1 block, 0)\n",
        positions.err());
    CliRun.Result top =
        simulate(
            oneLayer,
            "[adapter]\nmethod = \"top-blocks\"\nblocks = 2\n[server]\nstrategy = \"fedavg\"\n");
    assertEquals(2, top.code(), top.err());
    assertEquals(
        "fedpeft simulate: adapter.blocks = 2 must be in [1, 1] (the encoder has 1 block)\n",
        top.err());
  }

  // A config.json whose num_hidden_layers disagrees with one layer of weights: "1 layers".
  @Test
  void weightsOfOneLayerAreCountedInTheSingular() throws Exception {
    Path dir = tmp.resolve("mislabelled");
    for (String f : List.of("model.safetensors", "tokenizer.json", "sentence_bert_config.json")) {
      Files.createDirectories(dir);
      Files.copy(oneLayer.resolve(f), dir.resolve(f));
    }
    Files.writeString(
        dir.resolve("config.json"),
        Files.readString(oneLayer.resolve("config.json"))
            .replace("\"num_hidden_layers\":1", "\"num_hidden_layers\":3"));
    CliRun.Result r = CliRun.run("info", "--model", dir.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "config.json) says num_hidden_layers = 3, but the weights have 1 layer"
                    + " (encoder.layer.0)\n"),
        r.err());
  }

  // A model of one position: "max length must be at least 2, got 1", naming no file.
  @Test
  void aModelOfOnePositionIsRefusedNamingTheField() throws Exception {
    PretrainedModel bundled = PretrainedModel.bundledMiniLm();
    BertConfig c = new BertConfig(bundled.config().vocabSize(), 32, 1, 4, 64, 1, 2, 1e-12f);
    Path dir = tmp.resolve("one-position");
    HuggingFaceFolder.save(
        new PretrainedModel("one-position", RandomBert.weights(c, 5), bundled.tokenizerJson(), 2),
        dir);
    CliRun.Result r = CliRun.run("embed", "--model", dir.toString(), "a text");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft embed: "
            + dir.resolve("config.json")
            + ": max_position_embeddings is 1; it must be at least 2 (a text is read with its"
            + " [CLS] and [SEP] tokens)\n",
        r.err());
  }

  // A negative position was named "adapter.method = "fedbe": fedbe: positions must be ...".
  @Test
  void aNegativePositionIsNamedAsTheConfigWritesIt() throws Exception {
    CliRun.Result r =
        simulate(
            threeLayers,
            "[adapter]\nmethod = \"fedbe\"\nblocks = 2\npositions = [\"1\", \"-1\"]\n"
                + "[server]\nstrategy = \"fedbe\"\n");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains(": adapter.positions = 1+-1: positions must be non-negative and"),
        r.err());
  }

  @Test
  void trainEvalAndEmbedOnTheUsersModel() throws Exception {
    Path out = tmp.resolve("train-fedbe");
    CliRun.Result train =
        CliRun.run(
            "train",
            "--model",
            threeLayers.toString(),
            "--data",
            data.toString(),
            "--adapter",
            "fedbe",
            "--adapter-options",
            "blocks=2,positions=0+2",
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--out",
            out.toString());
    assertEquals(0, train.code(), train.err());
    Path adapter = out.resolve("adapter");
    CliRun.Result eval =
        CliRun.run(
            "eval",
            adapter.toString(),
            "--model",
            threeLayers.toString(),
            "--test",
            data.toString());
    assertEquals(0, eval.code(), eval.err());
    assertTrue(eval.out().startsWith("test accuracy: "), eval.out());
    CliRun.Result embed =
        CliRun.run(
            "embed",
            "--model",
            threeLayers.toString(),
            "--adapter",
            adapter.toString(),
            "Apple",
            "apple");
    assertEquals(0, embed.code(), embed.err());
    String[] lines = embed.out().split("\n");
    assertEquals(2, lines.length, embed.out());
    JsonArray upper = JsonParser.parseString(lines[0]).getAsJsonArray();
    assertEquals(48, upper.size());
    // The cased tokenizer is the folder's: "Apple" and "apple" are other tokens.
    assertNotEquals(lines[0], lines[1]);
  }
}
