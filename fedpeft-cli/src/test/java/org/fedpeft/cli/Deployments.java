package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the deployment tests share besides their processes ({@link Spawned}): the examples they
 * write, the LoRA and client sections of their run configs, the file with labels a run lacks and
 * the refusal of a client that brings it, and the comparison of a deployed run with its simulation.
 */
final class Deployments {

  private Deployments() {}

  /** Four topics, the texts of the labels t0 to t3. */
  static final String[] TOPICS = {
    "fruit apple pear", "tool hammer saw", "sport run swim", "sea fish boat"
  };

  /**
   * The {@code [adapter]} and {@code [client]} sections of the deployment tests' LoRA runs: rank 4
   * on query and value; 2 local steps of batch 8 at learning rate 5e-3.
   */
  static final String LORA_AND_CLIENT =
      """
      [adapter]
      rank = 4
      targets = ["query", "value"]

      [client]
      local_steps = 2
      batch_size = 8
      learning_rate = 5e-3
      """;

  /** {@code p} as a TOML string's content (backslashes doubled). */
  static String toml(Path p) {
    return p.toString().replace("\\", "\\\\");
  }

  /** The {@code [model]} section naming the model folder {@code model}. */
  static String modelSection(Path model) {
    return "[model]\nname = \"" + toml(model) + "\"\n";
  }

  /** An example's JSON line, with its client when {@code client} is not null. */
  static String line(String text, String label, String client) {
    JsonObject o = new JsonObject();
    o.addProperty("text", text);
    o.addProperty("label", label);
    if (client != null) {
      o.addProperty("client", client);
    }
    return o.toString();
  }

  /**
   * Writes {@code n} examples of the four {@link #TOPICS} to {@code file}, in turn: "TOPIC number
   * i" labelled t(i mod 4).
   */
  static Path topicsFile(Path file, int n) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      lines.add(
          "{\"text\": \""
              + TOPICS[i % 4]
              + " number "
              + i
              + "\", \"label\": \"t"
              + (i % 4)
              + "\"}");
    }
    return Files.write(file, lines);
  }

  /**
   * Writes a client's file whose lines 2 and 3 have the label "weather", which no run of these
   * tests has (line 1 is a t0 example).
   */
  static Path weatherFile(Path file) throws Exception {
    return Files.write(
        file,
        List.of(
            line("fruit apple", "t0", null),
            line("a cloud", "weather", null),
            line("snow", "weather", null)));
  }

  /**
   * {@code fedpeft client CONFIG --server ADDRESS --id ID --certs CERTS --state STATE --data DATA},
   * then {@code more}, in this JVM.
   */
  static CliRun.Result clientWithData(
      Path config, String address, String id, Path data, Path certs, Path state, String... more) {
    List<String> args =
        Spawned.clientArgs(config, address, id, certs, state, "--data", data.toString());
    args.addAll(List.of(more));
    return CliRun.run(args);
  }

  /**
   * Runs client-0 with the {@link #weatherFile} {@code weather} against {@code server}, and asserts
   * that it is refused (exit 2) naming the file and both lines, and that the server's log gives its
   * reason, not "the node's stream was cancelled".
   */
  static void assertWeatherRefused(
      Path config, Spawned server, Path weather, Path certs, Path state) throws Exception {
    CliRun.Result refused =
        clientWithData(config, server.address(), "client-0", weather, certs, state);
    assertEquals(2, refused.code(), refused.err());
    assertTrue(
        refused
            .err()
            .contains(
                weather
                    + ":2: label \"weather\" is not a label of the server's run, whose 4 labels"
                    + " are [t0, t1, t2, t3]; 1 more such example at "
                    + weather
                    + ":3"),
        refused.err());
    String gone = server.awaitLine("network: refused client-0");
    assertTrue(
        gone.contains(
            "the node refuses this run: "
                + weather
                + ":2: label \"weather\" is not a label of the server's run"),
        gone);
  }

  /**
   * Asserts that {@code deployed} ended with the metrics.jsonl and the adapter (LoRA and head) of
   * {@code simulated}, byte for byte.
   */
  static void assertSameRun(Path simulated, Path deployed) throws Exception {
    assertSameRun(
        simulated, deployed, "adapter/adapter_model.safetensors", "adapter/head.safetensors");
  }

  /**
   * Asserts that {@code deployed} ended with the metrics.jsonl and the {@code files} (paths in the
   * run folder) of {@code simulated}, byte for byte.
   */
  static void assertSameRun(Path simulated, Path deployed, String... files) throws Exception {
    assertEquals(
        Files.readString(simulated.resolve("metrics.jsonl")),
        Files.readString(deployed.resolve("metrics.jsonl")));
    for (String f : files) {
      assertArrayEquals(
          Files.readAllBytes(simulated.resolve(f)), Files.readAllBytes(deployed.resolve(f)), f);
    }
  }

  /** Runs {@code simulate CONFIG --out OUT} in this JVM, asserts exit 0, and returns its result. */
  static CliRun.Result simulate(Path config, Path out) {
    CliRun.Result sim = CliRun.run("simulate", config.toString(), "--out", out.toString());
    assertEquals(0, sim.code(), sim.err());
    return sim;
  }

  /** Runs {@code certs --out DIR --clients IDS} in this JVM and returns DIR. */
  static Path certs(Path dir, List<String> ids) {
    CliRun.Result c =
        CliRun.run("certs", "--out", dir.toString(), "--clients", String.join(",", ids));
    assertEquals(0, c.code(), c.err());
    return dir;
  }
}
