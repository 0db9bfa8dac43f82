package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code simulate} and {@code server} read the same config: with privacy.mode = "sample" both
 * refuse a client.max_grad_norm set in the file or with --set (DP-SGD clips each example to
 * privacy.sample.clip_norm instead), naming both keys and where they were set, before any folder is
 * written.
 */
class SampleDpMaxGradNormCliTest {

  @TempDir Path tmp;

  @Test
  void simulateAndServerRefuseMaxGradNormUnderSampleDp() throws Exception {
    Path config = tmp.resolve("run.toml");
    // No such data file: the config is refused before it is read (and a run that accepted the
    // config fails on it at once instead of training).
    Files.writeString(config, "[data]\nfile = \"missing.jsonl\"\n\n[privacy]\nmode = \"sample\"\n");
    for (String command : new String[] {"simulate", "server"}) {
      Path out = tmp.resolve(command);
      CliRun.Result r =
          command.equals("server")
              ? CliRun.run(
                  command,
                  config.toString(),
                  "--set",
                  "client.max_grad_norm=0.5",
                  "--out",
                  out.toString(),
                  "--insecure")
              : CliRun.run(
                  command,
                  config.toString(),
                  "--set",
                  "client.max_grad_norm=0.5",
                  "--out",
                  out.toString());
      assertEquals(2, r.code(), command + ": " + r.err());
      assertTrue(
          r.err()
              .contains(
                  "--set, "
                      + config
                      + ":5: client.max_grad_norm (0.5) does nothing with privacy.mode ="
                      + " \"sample\": DP-SGD clips each example's gradient to"
                      + " privacy.sample.clip_norm (1.0), which applies instead"),
          command + ": " + r.err());
      assertFalse(Files.exists(out), command + ": a refused start leaves no folder");
    }
  }
}
