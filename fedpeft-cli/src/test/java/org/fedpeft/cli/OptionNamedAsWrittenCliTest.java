package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of the methods, 3 December: an adapter option refused only on the model (a rank above what a
 * module allows) was named "lora: option 'rank'", whatever the user had written. simulate and
 * server name it as the config writes it ({@code adapter.rank}), train as the command line does
 * ({@code --adapter-options rank=...}), and so does info; train's other option errors too.
 */
class OptionNamedAsWrittenCliTest {

  @TempDir Path tmp;

  @Test
  void simulateNamesTheConfigKey() throws Exception {
    Path config = CliRun.oneClientConfig(tmp);
    CliRun.Result r =
        CliRun.run(
            "simulate",
            config.toString(),
            "--set",
            "adapter.rank=100000",
            "--out",
            tmp.resolve("out").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().startsWith("fedpeft simulate: adapter.rank = 100000 is more than "), r.err());
    CliRun.Result fedbe =
        CliRun.run(
            "simulate",
            config.toString(),
            "--set",
            "adapter.method=fedbe",
            "--set",
            "server.strategy=fedbe",
            "--set",
            "adapter.positions=0,99",
            "--out",
            tmp.resolve("out-fedbe").toString());
    assertEquals(2, fedbe.code(), fedbe.err());
    assertTrue(
        fedbe
            .err()
            .startsWith(
                "fedpeft simulate: adapter.positions = 0+99: position 99 is not a base block"),
        fedbe.err());
  }

  private CliRun.Result train(String options) throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("model"));
    Path data = CliRun.animalsAndFood(tmp.resolve("train.jsonl"), 4);
    return CliRun.run(
        "train",
        "--model",
        model.toString(),
        "--data",
        data.toString(),
        "--steps",
        "1",
        "--eval-every",
        "0",
        "--adapter-options",
        options,
        "--out",
        tmp.resolve("run-" + Files.list(tmp).count()).toString());
  }

  @Test
  void trainNamesTheCommandLineOption() throws Exception {
    CliRun.Result r = train("rank=100000");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("\nfedpeft train: --adapter-options rank=100000 is more than "), r.err());
    assertTrue(!r.err().contains("option 'rank'"), r.err());
    CliRun.Result zero = train("rank=0");
    assertEquals(2, zero.code(), zero.err());
    assertEquals("fedpeft train: --adapter-options rank=0 is invalid: >= 1", zero.err().strip());
    CliRun.Result word = train("rank=eight");
    assertEquals(2, word.code(), word.err());
    assertEquals(
        "fedpeft train: --adapter-options rank must be an integer, got 'eight'",
        word.err().strip());
  }

  @Test
  void infoNamesTheCommandLineOption() throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("model"));
    CliRun.Result r =
        CliRun.run("info", "-m", model.toString(), "--adapter-options", "rank=100000");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("fedpeft info: --adapter-options rank=100000 is more than "), r.err());
  }
}
