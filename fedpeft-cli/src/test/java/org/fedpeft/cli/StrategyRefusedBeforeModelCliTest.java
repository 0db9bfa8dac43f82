package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of the methods, 3 December: {@code server.strategy = "fedex-lora"} with {@code adapter.method
 * = "ravan"} was refused only when the strategy was made, after the run folder was created and the
 * model had loaded. Here the model cannot load (its config.json is not JSON): the strategy's
 * refusal is the message, and no run folder is made.
 */
class StrategyRefusedBeforeModelCliTest {

  @TempDir Path tmp;

  @Test
  void aStrategyThatCannotRunTheMethodIsRefusedBeforeTheModelLoads() throws Exception {
    Path config = CliRun.oneClientConfig(tmp);
    Files.writeString(tmp.resolve("model").resolve("config.json"), "{ not json");
    for (String command : new String[] {"simulate", "server"}) {
      Path out = tmp.resolve("out-" + command);
      CliRun.Result r =
          command.equals("simulate")
              ? CliRun.run(
                  "simulate",
                  config.toString(),
                  "--set",
                  "adapter.method=ravan",
                  "--set",
                  "server.strategy=fedex-lora",
                  "--out",
                  out.toString())
              : CliRun.run(
                  "server",
                  config.toString(),
                  "--set",
                  "adapter.method=ravan",
                  "--set",
                  "server.strategy=fedex-lora",
                  "--insecure",
                  "--listen",
                  "127.0.0.1:0",
                  "--out",
                  out.toString());
      assertEquals(2, r.code(), r.err());
      assertTrue(
          r.err()
              .contains(
                  "--set: server.strategy = fedex-lora needs adapter.method = lora, got ravan"),
          r.err());
      assertFalse(r.err().contains("config.json"), "the model was loaded first: " + r.err());
      assertFalse(Files.exists(out), "run folder made: " + out);
    }
  }
}
