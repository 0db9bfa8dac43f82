package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.io.PeftAdapterConfig;
import org.fedpeft.io.PeftAdapterFiles;
import org.fedpeft.io.Safetensors;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.PeftNames;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 4 December: eval, embed and retrieve loaded a plain PEFT LoRA folder whose {@code
 * adapter_config.json} asks for something fedpeft's LoRA does not compute (here DoRA, {@code
 * use_dora: true}) as a plain LoRA, computing another model than PEFT's with no message. Each now
 * exits with 2, naming the file and the field and what fedpeft loads.
 */
class PeftSettingsCliTest {

  @TempDir static Path tmp;
  static Path model;
  static Path dora;
  static Path newer;
  static Path corpus;

  @BeforeAll
  static void setUp() throws Exception {
    model = CliRun.tinyModelFolder(tmp.resolve("model")); // hidden 32
    dora = folderWith("dora", "use_dora");
    // eval looks for the head before it reads the adapter.
    Safetensors.write(
        dora.resolve(AdapterFiles.HEAD_FILE),
        Map.of(
            "classifier.weight", HostTensor.zeros(2, 32), "classifier.bias", HostTensor.zeros(2)),
        Map.of("format", "pt"));
    newer = folderWith("newer", "use_newlora");
    corpus = tmp.resolve("corpus.jsonl");
    Files.writeString(
        corpus, "{\"id\": \"a\", \"text\": \"one\"}\n{\"id\": \"b\", \"text\": \"two\"}\n");
  }

  /**
   * A plain PEFT folder {@code name}: LoRA r = 4, alpha 8 on layer 0's query (zero factors), its
   * config's {@code field} true.
   */
  private static Path folderWith(String name, String field) throws Exception {
    Map<String, HostTensor> t = new LinkedHashMap<>();
    t.put(PeftNames.loraKey(0, "query", PeftNames.LORA_A), HostTensor.zeros(4, 32));
    t.put(PeftNames.loraKey(0, "query", PeftNames.LORA_B), HostTensor.zeros(32, 4));
    Path folder = tmp.resolve(name);
    PeftAdapterFiles.write(
        folder,
        PeftAdapterConfig.builder(4, 8.0, List.of("query"))
            .set(field, JsonParser.parseString("true"))
            .build(),
        t);
    return folder;
  }

  private static void refused(String... args) {
    CliRun.Result r = CliRun.run(args);
    assertEquals(2, r.code(), r.err());
    String want =
        "fedpeft "
            + args[0]
            + ": "
            + dora.resolve(PeftAdapterFiles.CONFIG_FILE)
            + ": field \"use_dora\" is true: DoRA rescales each adapted module's output by a"
            + " trained magnitude vector, which fedpeft's LoRA does not have; fedpeft loads a"
            + " folder whose use_dora is false\n";
    assertTrue(r.err().endsWith(want), r.err());
  }

  @Test
  void evalEmbedAndRetrieveRefuseADoraFolder() {
    refused("embed", "--model", model.toString(), "--adapter", dora.toString(), "one");
    refused(
        "retrieve",
        "--model",
        model.toString(),
        "--adapter",
        dora.toString(),
        "--corpus",
        corpus.toString(),
        "one");
    refused("eval", dora.toString(), "--model", model.toString());
  }

  /**
   * QA, 5 December: a field of adapter_config.json that fedpeft does not know (a later PEFT's) was
   * ignored, and embed computed the vectors of a plain LoRA; it now exits with 2 naming the file,
   * the field and its value.
   */
  @Test
  void embedRefusesAFolderWithAnUnknownFieldTurnedOn() {
    CliRun.Result r =
        CliRun.run("embed", "--model", model.toString(), "--adapter", newer.toString(), "one");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "fedpeft embed: "
                    + newer.resolve(PeftAdapterFiles.CONFIG_FILE)
                    + ": field \"use_newlora\" is true: fedpeft does not know this field"),
        r.err());
  }
}
