package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * More clients than training examples was refused as "fedpeft simulate: iid: 16 examples cannot
 * give 20 clients 1 example each", naming no config key; the refusal now names data.partition and
 * clients (and data.max_train when it caps the data) and what to change.
 */
class PartitionRefusalCliTest {

  @TempDir Path tmp;

  @Test
  void moreClientsThanExamplesNamesTheKeys() throws Exception {
    Path config = CliRun.oneClientConfig(tmp);
    Path out = tmp.resolve("out");
    CliRun.Result r =
        CliRun.run(
            "simulate",
            config.toString(),
            "--set",
            "clients=20",
            "--set",
            "data.partition=iid",
            "--set",
            "data.max_train=16",
            "--out",
            out.toString());
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft simulate: data.partition = \"iid\" with clients = 20 on 16 training examples:"
            + " iid: 16 examples cannot give 20 clients 1 example each (lower clients, raise"
            + " data.max_train (16) or use another data.partition)",
        r.err().strip().lines().reduce((a, b) -> b).orElse(""));
    assertFalse(Files.exists(out.resolve("metrics.jsonl")), "nothing ran");
  }
}
