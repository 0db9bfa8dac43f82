package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code fedpeft predict} gives the labels {@code eval} scores for every adapter kind the other
 * predict tests leave out (they cover LoRA, FedDPA and a multi-task head): Ravan, FedBE, top
 * blocks, soft embeddings, LoRA computed in bf16, and FedEx-LoRA's saved residual.
 */
@Tag("slow")
class PredictEveryMethodCliTest {

  static Stream<Arguments> adapters() {
    return Stream.of(
        Arguments.of("ravan", List.of("--adapter", "ravan", "--adapter-options", "heads=2,rank=4")),
        Arguments.of("fedbe", List.of("--adapter", "fedbe", "--adapter-options", "blocks=1")),
        Arguments.of(
            "top-blocks", List.of("--adapter", "top-blocks", "--adapter-options", "blocks=1")),
        Arguments.of("softembed", List.of("--adapter", "softembed")),
        Arguments.of("bf16", List.of("--precision", "bf16")));
  }

  /** An adapter trained one step on the tiny model labels a file as eval scores it. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("adapters")
  void predictGivesTheLabelsEvalScores(String name, List<String> trainOptions, @TempDir Path dir)
      throws Exception {
    CliRun.TinyRun run = CliRun.tinyTrainedAdapter(dir, trainOptions.toArray(new String[0]));
    Path test = PredictCommandUserTest.labelledTexts(dir.resolve("test.jsonl"));
    String[] options =
        trainOptions.contains("--precision") ? new String[] {"--precision", "bf16"} : new String[0];
    PredictCommandUserTest.assertLabelsScoreAsEval(run.adapter(), run.model(), test, options);
  }

  /** FedEx-LoRA's run saves a residual beside the adapter; predict adds it as eval does. */
  @org.junit.jupiter.api.Test
  void fedExLoraResidualCountsAsInEval(@TempDir Path dir) throws Exception {
    Path config = CliRun.oneClientConfig(dir);
    Path out = dir.resolve("run");
    CliRun.Result r =
        CliRun.run(
            "simulate",
            config.toString(),
            "--set",
            "server.strategy=fedex-lora",
            "--set",
            "client.local_steps=2",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    Path test = PredictCommandUserTest.labelledTexts(dir.resolve("test.jsonl"));
    PredictCommandUserTest.assertLabelsScoreAsEval(
        out.resolve("adapter"), dir.resolve("model"), test);
  }
}
