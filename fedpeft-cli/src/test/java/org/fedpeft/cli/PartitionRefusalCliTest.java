package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * More clients than training examples was refused as "fedpeft simulate: iid: 16 examples cannot
 * give 20 clients 1 example each", naming no config key; the refusal now names data.partition and
 * clients (and data.max_train when it caps the data, not when it is above the data's size) and what
 * to change.
 */
class PartitionRefusalCliTest {

  @TempDir Path tmp;

  @Test
  void moreClientsThanExamplesNamesTheKeys() throws Exception {
    String last =
        refusal("--set", "clients=20", "--set", "data.partition=iid", "--set", "data.max_train=16");
    assertEquals(
        "fedpeft simulate: data.partition = \"iid\" with clients = 20 on 16 training examples:"
            + " iid: 16 examples cannot give 20 clients 1 example each (lower clients, raise"
            + " data.max_train (16) or use another data.partition)",
        last);
  }

  /**
   * QA of a user's own data, 4 December: {@code dirichlet:ALPHA,min=0} left clients without an
   * example, and each of them failed every round it was sampled for as "fit threw
   * IllegalArgumentException: no training examples"; such a partition is now refused before the
   * rounds, naming the key.
   */
  @Test
  void aPartitionLeavingAClientEmptyIsRefused() throws Exception {
    String last = refusal("--set", "clients=12", "--set", "data.partition=dirichlet:0.01,min=0");
    assertTrue(
        last.startsWith("fedpeft simulate: data.partition = \"dirichlet:0.01,min=0\" gives "),
        last);
    assertTrue(
        last.endsWith(
            "which could then train nothing: give the partition a minimum of at least 1"
                + " (dirichlet:ALPHA,min=N with N >= 1, or leave min out), lower clients or use"
                + " another data.partition"),
        last);
  }

  /**
   * QA of a user's own data, 4 December: with data.max_train above the size of the file, the
   * refusal still said to raise it, which changes nothing.
   */
  @Test
  void aCapAboveTheDataIsNotNamed() throws Exception {
    String last =
        refusal(
            "--set", "clients=20", "--set", "data.partition=iid", "--set", "data.max_train=100000");
    assertEquals(
        "fedpeft simulate: data.partition = \"iid\" with clients = 20 on 16 training examples:"
            + " iid: 16 examples cannot give 20 clients 1 example each (lower clients or use"
            + " another data.partition)",
        last);
  }

  /**
   * Runs {@code simulate} on a one-client config with {@code sets} (each {@code --set KEY=VALUE}
   * pair spelled out), checks that it is refused (exit 2) before any round, and returns the last
   * line of its standard error.
   */
  private String refusal(String... sets) throws Exception {
    Path out = tmp.resolve("out");
    List<String> args =
        new ArrayList<>(List.of("simulate", CliRun.oneClientConfig(tmp).toString()));
    args.addAll(List.of(sets));
    args.addAll(List.of("--out", out.toString()));
    CliRun.Result r = CliRun.run(args.toArray(String[]::new));
    assertEquals(2, r.code(), r.err());
    assertFalse(Files.exists(out.resolve("metrics.jsonl")), "nothing ran");
    return r.err().strip().lines().reduce((a, b) -> b).orElse("");
  }
}
