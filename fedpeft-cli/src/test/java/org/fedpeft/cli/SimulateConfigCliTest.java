package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config rows of issue 15, as a user meets them through {@code fedpeft simulate}: a config file
 * with a UTF-8 byte order mark, a typo'd key, and a list given to {@code --set}. Each run is one
 * round on a tiny model.
 */
class SimulateConfigCliTest {

  @TempDir static Path tmp;
  static String toml;

  @BeforeAll
  static void tinyRunConfig() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    Path data = tmp.resolve("data.jsonl");
    List<String> lines = new ArrayList<>();
    String[] topics = {"fruit apple pear", "tool hammer saw", "sport run swim"};
    for (int i = 0; i < 60; i++) {
      lines.add(
          "{\"text\": \""
              + topics[i % 3]
              + " number "
              + i
              + "\", \"label\": \"t"
              + (i % 3)
              + "\"}");
    }
    Files.write(data, lines);
    toml =
        """
        seed = 3
        rounds = 1
        clients = 3
        clients_per_round = 2

        [data]
        file = "%s"
        partition = "iid"
        max_eval = 20

        [model]
        name = "%s"

        [adapter]
        rank = 2

        [client]
        local_steps = 1
        batch_size = 4
        parallel = 1
        """
            .formatted(
                data.toString().replace("\\", "\\\\"), model.toString().replace("\\", "\\\\"));
  }

  private static JsonObject savedConfig(Path out) throws Exception {
    return JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
  }

  // Issue 15: "A config file with a UTF-8 BOM fails with an invisible character in the message."
  @Test
  void configFileWithUtf8BomLoads() throws Exception {
    Path config = tmp.resolve("bom.toml");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
    bytes.write(toml.getBytes(StandardCharsets.UTF_8));
    Files.write(config, bytes.toByteArray());
    Path out = tmp.resolve("bom-run");
    CliRun.Result r = CliRun.run("simulate", config.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(3, savedConfig(out).get("seed").getAsInt());
  }

  // Issue 15: "A typo'd key dumps all 48 keys without a 'did you mean'."
  @Test
  void typoedKeySaysDidYouMean() throws Exception {
    Path config = tmp.resolve("typo.toml");
    Files.writeString(config, toml.replace("local_steps = 1", "local_step = 1"));
    CliRun.Result r =
        CliRun.run("simulate", config.toString(), "--out", tmp.resolve("typo-run").toString());
    assertEquals(2, r.code(), r.err());
    int line = toml.lines().toList().indexOf("local_steps = 1") + 1;
    assertEquals(
        "fedpeft simulate: "
            + config
            + ":"
            + line
            + ": unknown key \"client.local_step\" (did you mean \"client.local_steps\"?)",
        r.err().strip());
  }

  // Issue 15: "--set adapter.targets=query,value fails, although docs/config.md says lists are
  // comma-separated."
  @Test
  void setAdapterTargetsCommaSeparatedWorksAsDocumented() throws Exception {
    Path config = tmp.resolve("run.toml");
    Files.writeString(config, toml);
    Path out = tmp.resolve("list-run");
    CliRun.Result r =
        CliRun.run(
            "simulate",
            config.toString(),
            "--set",
            "adapter.targets=query,value",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("query+value", savedConfig(out).get("adapter.targets").getAsString());
    assertTrue(r.err().contains("targets=query+value"), r.err());
  }

  // User audit: FedDPA-F under sample-level DP ran, exited 0 and reported no client accuracy.
  @Test
  void feddpaFWithSampleLevelDpIsRefusedBeforeTheRun() throws Exception {
    Path config = tmp.resolve("feddpa.toml");
    Files.writeString(config, toml);
    Path out = tmp.resolve("feddpa-f-sample");
    CliRun.Result r =
        CliRun.run(
            "simulate",
            config.toString(),
            "--set",
            "adapter.method=feddpa",
            "--set",
            "adapter.variant=F",
            "--set",
            "privacy.mode=sample",
            "--out",
            out.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("adapter.variant = \"F\""), r.err());
    assertTrue(r.err().contains("privacy.mode = \"sample\""), r.err());
    assertTrue(!Files.exists(out.resolve("metrics.jsonl")), "nothing ran");
  }

  // User audit: "simulate DIR" with an existing folder said "DIR: no such config file".
  @Test
  void aFolderGivenAsTheConfigIsNamedAsOne() throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("a-folder"));
    CliRun.Result r = CliRun.run("simulate", folder.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft simulate: "
            + folder
            + " is a folder, not a config file (a TOML file such as"
            + " examples/fedit-noun-topic.toml)",
        r.err().strip());
    // a run folder: how to continue it, or that it is finished
    Path run = Files.createDirectories(tmp.resolve("a-run"));
    Files.writeString(run.resolve("config.json"), "{}");
    r = CliRun.run("simulate", run.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains(" is a folder, not a config file")
            && r.err()
                .strip()
                .endsWith(
                    "; it holds a run (config.json): to continue it, fedpeft simulate --resume "
                        + run),
        r.err());
    Files.writeString(run.resolve("summary.json"), "{\"command\": \"simulate\"}");
    r = CliRun.run("simulate", run.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().strip().endsWith("; it holds a finished run (summary.json)"), r.err());
    r = CliRun.run("simulate", tmp.resolve("missing.toml").toString());
    assertTrue(r.err().contains("missing.toml: no such config file"), r.err());
  }
}
