package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.io.Safetensors;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.RandomBert;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 4 December: {@code eval}, {@code embed --adapter} and {@code retrieve --adapter} of an
 * adapter trained on the user's own model folder, run without {@code --model}, loaded the bundled
 * all-MiniLM-L6-v2 instead (the adapter recorded only the folder's name): an error about tensor
 * shapes, or for a model of MiniLM's shapes a warning and a meaningless accuracy. The adapter now
 * records the folder's path; without {@code --model} these commands use that folder when it still
 * holds the model the adapter was trained on, say so, and otherwise refuse, naming the model and
 * {@code --model}.
 */
class AdapterBaseModelFolderCliTest {

  @TempDir static Path tmp;

  static Path model;
  static Path data;
  static Path corpus;

  /** The adapter of a 2-step {@code train} on {@link #model}. */
  static Path adapter;

  @BeforeAll
  static void trainOnTheUsersModel() throws Exception {
    model = CliRun.tinyModelFolder(tmp.resolve("my-bert"));
    data = CliRun.animalsAndFood(tmp.resolve("train.jsonl"), 12);
    corpus =
        Files.write(
            tmp.resolve("corpus.jsonl"),
            List.of(
                "{\"id\": \"d1\", \"text\": \"a cat\"}", "{\"id\": \"d2\", \"text\": \"bread\"}"));
    Path out = tmp.resolve("run");
    CliRun.Result train =
        CliRun.run(
            "train",
            "--model",
            model.toString(),
            "--data",
            data.toString(),
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--eval-every",
            "0",
            "--out",
            out.toString());
    assertEquals(0, train.code(), train.err());
    adapter = out.resolve("adapter");
  }

  private static String[] eval(Path adapterDir, String... more) {
    List<String> args =
        new ArrayList<>(List.of("eval", adapterDir.toString(), "--data", data + ""));
    args.addAll(List.of(more));
    return args.toArray(new String[0]);
  }

  private static String[] embed(Path adapterDir, String... more) {
    List<String> args = new ArrayList<>(List.of("embed", "--adapter", adapterDir.toString()));
    args.addAll(List.of(more));
    args.add("a small animal");
    return args.toArray(new String[0]);
  }

  private static String[] retrieve(Path adapterDir, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "retrieve",
                "--adapter",
                adapterDir.toString(),
                "--method",
                "mips",
                "--corpus",
                corpus.toString()));
    args.addAll(List.of(more));
    args.add("a dog");
    return args.toArray(new String[0]);
  }

  private static String[] withModel(String[] args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(all.size() - (args[0].equals("eval") ? 0 : 1), List.of("--model", model + ""));
    return all.toArray(new String[0]);
  }

  @Test
  void withoutModelTheFolderTheAdapterWasTrainedOnIsUsedAndNamed() throws Exception {
    JsonObject extra =
        JsonParser.parseString(Files.readString(adapter.resolve(AdapterFiles.CONFIG_FILE)))
            .getAsJsonObject()
            .getAsJsonObject("extra");
    Path absolute = model.toAbsolutePath().normalize();
    assertEquals(absolute.toString(), extra.get(AdapterFiles.BASE_MODEL_PATH).getAsString());
    for (String[] args : List.of(eval(adapter), embed(adapter), retrieve(adapter))) {
      CliRun.Result recorded = CliRun.run(args);
      assertEquals(0, recorded.code(), args[0] + ": " + recorded.err());
      assertTrue(
          recorded.err().contains("model: " + absolute + " (recorded with the adapter)\n"),
          args[0] + ": " + recorded.err());
      assertFalse(recorded.err().contains("warning"), args[0] + ": " + recorded.err());
      CliRun.Result given = CliRun.run(withModel(args));
      assertEquals(0, given.code(), args[0] + " --model: " + given.err());
      assertFalse(given.err().contains("model: " + absolute), given.err());
      // The same model, so the same output to the digit.
      assertEquals(given.out(), recorded.out(), args[0]);
    }
  }

  @Test
  void aFolderGoneOrHoldingAnotherModelIsRefusedNamingTheModelAndTheOption() throws Exception {
    Path moved = tmp.resolve("moved-run");
    Path movedModel = tmp.resolve("moved-model");
    Path copy = copyOf(adapter, moved);
    Path other = tmp.resolve("other-bert");
    PretrainedModel bundled = PretrainedModel.bundledMiniLm();
    HuggingFaceFolder.save(
        RandomBert.tiny(bundled.tokenizerJson(), bundled.config().vocabSize(), 8), other);
    Path config = copy.resolve(AdapterFiles.CONFIG_FILE);
    String json = Files.readString(config);
    String recorded = model.toAbsolutePath().normalize().toString();
    // The folder is gone.
    Files.writeString(config, json.replace(recorded, movedModel.toAbsolutePath().toString()));
    for (String[] args : List.of(eval(copy), embed(copy), retrieve(copy))) {
      CliRun.Result r = CliRun.run(args);
      assertEquals(2, r.code(), args[0] + ": " + r.err());
      // (eval says the split seed it read from the adapter first)
      assertTrue(
          r.err()
              .endsWith(
                  "fedpeft "
                      + args[0]
                      + ": "
                      + copy
                      + ": was trained on the model \"my-bert\" in "
                      + movedModel.toAbsolutePath()
                      + ", which is no longer there: give the model it was trained on with"
                      + " --model DIR\n"),
          args[0] + ": " + r.err());
      // --model still decides.
      CliRun.Result given = CliRun.run(withModel(args));
      assertEquals(0, given.code(), args[0] + " --model: " + given.err());
    }
    // The folder holds another model of the same shapes.
    Files.writeString(config, json.replace(recorded, other.toAbsolutePath().toString()));
    for (String[] args : List.of(eval(copy), embed(copy), retrieve(copy))) {
      CliRun.Result r = CliRun.run(args);
      assertEquals(2, r.code(), args[0] + ": " + r.err());
      assertTrue(
          r.err()
              .endsWith(
                  "fedpeft "
                      + args[0]
                      + ": "
                      + copy
                      + ": was trained on the model \"my-bert\" in "
                      + other.toAbsolutePath()
                      + ", but that folder now holds another model (weights and tokenizer digest "
                      + PretrainedModel.load(other.toString()).sha256().substring(0, 12)
                      + ", not "
                      + PretrainedModel.load(model.toString()).sha256().substring(0, 12)
                      + " as recorded): give the model it was trained on with --model DIR\n"),
          args[0] + ": " + r.err());
    }
  }

  /**
   * QA, 4 December: the PEFT export named the base model by its folder's name ("my-bert"), which
   * PEFT's {@code from_pretrained} cannot load; it now names the folder's absolute path, as {@code
   * extra.base_model_path} does, while {@code fedpeft_adapter.json} keeps the name.
   */
  @Test
  void thePeftExportNamesTheModelFolderItCanLoad() throws Exception {
    JsonObject peft =
        JsonParser.parseString(Files.readString(adapter.resolve("adapter_config.json")))
            .getAsJsonObject();
    assertEquals(
        model.toAbsolutePath().normalize().toString(),
        peft.get("base_model_name_or_path").getAsString());
    assertEquals("my-bert", AdapterFiles.read(adapter).baseModel());
  }

  /**
   * Writes into folder {@code plain} (created) the PEFT config of {@link #adapter} without its
   * {@code fedpeft} key, as a plain PEFT folder has it, and returns that config.
   */
  private static JsonObject plainPeftConfig(Path plain) throws IOException {
    Files.createDirectories(plain);
    JsonObject config =
        JsonParser.parseString(Files.readString(adapter.resolve("adapter_config.json")))
            .getAsJsonObject();
    config.remove("fedpeft");
    Files.writeString(plain.resolve("adapter_config.json"), config.toString());
    return config;
  }

  /**
   * QA of other model shapes, 5 December: a plain PEFT folder (no fedpeft files) that did not fit
   * the model given with --model was refused with "(it was trained on the base model
   * "/.../my-bert": give that model with --model)" although that was the model given: the hint
   * compared the folder's name with PEFT's base_model_name_or_path, a path. It is named only for
   * another model.
   */
  @Test
  void aPlainPeftFolderThatDoesNotFitItsOwnBaseModelSuggestsNoOtherModel() throws Exception {
    Path plain = tmp.resolve("plain-peft");
    plainPeftConfig(plain);
    // Factors for inputs of width 48, where my-bert's modules take 32.
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    for (var e :
        Safetensors.readFloatTensors(adapter.resolve("adapter_model.safetensors")).entrySet()) {
      long[] shape = e.getValue().shape();
      tensors.put(
          e.getKey(),
          e.getKey().contains("lora_A")
              ? HostTensor.zeros(new long[] {shape[0], 48})
              : e.getValue());
    }
    Safetensors.write(plain.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
    CliRun.Result given = CliRun.run(embed(plain, "--model", model.toString()));
    assertEquals(2, given.code(), given.err());
    assertTrue(
        given
            .err()
            .startsWith(
                "fedpeft embed: "
                    + plain
                    + ": cannot be loaded onto the model "
                    + model
                    + ": lora: tensor "),
        given.err());
    // Without --model the folder PEFT records is used, and named as the model tried.
    CliRun.Result recorded = CliRun.run(embed(plain));
    assertEquals(2, recorded.code(), recorded.err());
    assertTrue(
        recorded
            .err()
            .contains(
                ": cannot be loaded onto the model "
                    + model.toAbsolutePath().normalize()
                    + ": lora: tensor "),
        recorded.err());
    // Given the bundled model, the hint names the folder PEFT records.
    CliRun.Result bundled = CliRun.run(embed(plain, "--model", PretrainedModel.DEFAULT));
    assertEquals(2, bundled.code(), bundled.err());
    assertTrue(
        bundled
            .err()
            .contains(
                ": cannot be loaded onto the model all-minilm-l6-v2 (it was trained on the base"
                    + " model \""
                    + model.toAbsolutePath().normalize()
                    + "\": give that model with --model): lora: tensor "),
        bundled.err());
  }

  /**
   * QA, 5 December: without --model, a plain PEFT folder (no fedpeft files) was computed on the
   * bundled model whatever model it was trained on; a model of MiniLM's shapes gave outputs without
   * a word of warning. Its base_model_name_or_path, when an absolute path (PEFT records the local
   * folder it loaded), is now the default model, as a fedpeft folder's recorded path is.
   */
  @Test
  void aPlainPeftFolderLoadsTheLocalFolderItsConfigNames() throws Exception {
    Path plain = tmp.resolve("plain-peft-fits");
    JsonObject config = plainPeftConfig(plain);
    Files.copy(
        adapter.resolve("adapter_model.safetensors"), plain.resolve("adapter_model.safetensors"));
    Path absolute = model.toAbsolutePath().normalize();
    assertEquals(absolute.toString(), config.get("base_model_name_or_path").getAsString());
    CliRun.Result recorded = CliRun.run(embed(plain));
    assertEquals(0, recorded.code(), recorded.err());
    assertTrue(
        recorded.err().contains("model: " + absolute + " (recorded with the adapter)\n"),
        recorded.err());
    CliRun.Result given = CliRun.run(embed(plain, "--model", model.toString()));
    assertEquals(0, given.code(), given.err());
    assertEquals(given.out(), recorded.out());

    Path gone = tmp.resolve("no-such-model").toAbsolutePath();
    config.addProperty("base_model_name_or_path", gone.toString());
    Files.writeString(plain.resolve("adapter_config.json"), config.toString());
    CliRun.Result missing = CliRun.run(embed(plain));
    assertEquals(2, missing.code(), missing.err());
    assertEquals(
        "fedpeft embed: "
            + plain
            + ": was trained on the model in "
            + gone
            + ", which is no longer there: give the model it was trained on with --model DIR\n",
        missing.err());
    // A Hub id names no folder here: the bundled model, as before.
    config.addProperty("base_model_name_or_path", PretrainedModel.HUB_ID);
    Files.writeString(plain.resolve("adapter_config.json"), config.toString());
    CliRun.Result hub = CliRun.run(embed(plain));
    assertFalse(hub.err().contains("recorded with the adapter"), hub.err());
  }

  /**
   * QA, 4 December: a hand-edited {@code extra.base_model_sha256} that is no SHA-256 (a number,
   * null, an array, an object, a short string) gave a Gson exception or a substring error (exit 1),
   * or read a number as its text and refused the model folder as holding "another model"; it is now
   * refused as a user error (exit 2) naming the file and the field, with {@code --model} too, as a
   * non-string {@code extra.base_model_path} was.
   */
  @Test
  void aRecordedDigestOrFolderOfAnotherTypeIsRefusedNamingTheFileAndTheField() throws Exception {
    Path config = adapter.resolve(AdapterFiles.CONFIG_FILE);
    String digestKey = "extra." + AdapterFiles.BASE_MODEL_SHA256;
    String mustBe = ": field \"" + digestKey + "\" must be a SHA-256 digest";
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("12345", mustBe + ": a string of 64 lowercase hex digits, found 12345\n");
    bad.put("null", ": missing field \"" + digestKey + "\"\n");
    bad.put("[\"ab\"]", mustBe + ": a string of 64 lowercase hex digits, found [\"ab\"]\n");
    bad.put("{\"a\":1}", mustBe + ": a string of 64 lowercase hex digits, found {\"a\":1}\n");
    bad.put("\"abc\"", mustBe + ": a string of 64 lowercase hex digits, found \"abc\"\n");
    int n = 0;
    for (var e : bad.entrySet()) {
      Path copy = copyOf(adapter, tmp.resolve("bad-digest-" + n++));
      Path copied = copy.resolve(AdapterFiles.CONFIG_FILE);
      JsonObject c = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
      c.getAsJsonObject("extra")
          .add(AdapterFiles.BASE_MODEL_SHA256, JsonParser.parseString(e.getKey()));
      Files.writeString(copied, new GsonBuilder().serializeNulls().create().toJson(c));
      for (String[] args :
          List.of(eval(copy), withModel(eval(copy)), embed(copy), withModel(retrieve(copy)))) {
        CliRun.Result r = CliRun.run(args);
        assertEquals(2, r.code(), e.getKey() + " " + List.of(args) + ": " + r.err());
        assertTrue(
            r.err().endsWith("fedpeft " + args[0] + ": " + copied + e.getValue()),
            e.getKey() + " " + List.of(args) + ": " + r.err());
      }
    }
    // The recorded folder goes through the same reader: not a string is refused alike.
    Path copy = copyOf(adapter, tmp.resolve("bad-folder"));
    Path copied = copy.resolve(AdapterFiles.CONFIG_FILE);
    JsonObject c = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    c.getAsJsonObject("extra").add(AdapterFiles.BASE_MODEL_PATH, new JsonObject());
    Files.writeString(copied, c.toString());
    CliRun.Result r = CliRun.run(eval(copy));
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .endsWith(
                "fedpeft eval: "
                    + copied
                    + ": field \"extra."
                    + AdapterFiles.BASE_MODEL_PATH
                    + "\" must be a string, found {}\n"),
        r.err());
  }

  /** A simulation's adapter and each client's own model record the folder as train's does. */
  @Test
  void simulateRecordsTheFolderInEveryAdapterItSaves() throws Exception {
    Path out = tmp.resolve("simulated");
    CliRun.Result r =
        CliRun.smallSimulate(
            tmp.resolve("fedsa.toml"),
            out,
            model,
            data,
            "[adapter]\nmethod = \"fedsa-lora\"\n[server]\nstrategy = \"fedavg\"\n");
    assertEquals(0, r.code(), r.err());
    List<Path> adapters = new ArrayList<>(List.of(out.resolve("adapter")));
    try (var clients = Files.list(out.resolve("clients"))) {
      clients.sorted().forEach(c -> adapters.add(c.resolve("adapter")));
    }
    assertEquals(3, adapters.size(), adapters.toString());
    for (Path a : adapters) {
      JsonObject extra =
          JsonParser.parseString(Files.readString(a.resolve(AdapterFiles.CONFIG_FILE)))
              .getAsJsonObject()
              .getAsJsonObject("extra");
      assertEquals(
          model.toAbsolutePath().normalize().toString(),
          extra.get(AdapterFiles.BASE_MODEL_PATH).getAsString(),
          a.toString());
    }
    CliRun.Result eval = CliRun.run(eval(adapters.get(1)));
    assertEquals(0, eval.code(), eval.err());
  }

  /** The files of adapter folder {@code from}, copied into the new folder {@code to}. */
  static Path copyOf(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }
}
