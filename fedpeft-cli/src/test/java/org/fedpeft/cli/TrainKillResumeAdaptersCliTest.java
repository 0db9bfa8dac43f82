package org.fedpeft.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code fedpeft train} of every adapter that train accepts, killed with SIGKILL after step 8's
 * metrics and before its checkpoint, then resumed from the checkpoint of step 4, ends with the
 * files of the uninterrupted train, byte for byte ({@link KillResume}); LoRA, Ravan and softembed
 * also on a bfloat16 frozen base. {@code RunSafetyCliTest} proves it for LoRA interrupted with
 * Ctrl-C.
 */
@Timeout(600)
class TrainKillResumeAdaptersCliTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  /** Each adapter's {@code --adapter-options} (small, as the tiny model is). */
  static final Map<String, String> OPTIONS =
      Map.of(
          "lora", "rank=2",
          "ravan", "heads=2,rank=2",
          "fedbe", "blocks=2",
          "softembed", "form=lowrank,rank=4",
          "top-blocks", "",
          "fed-sb", "rank=2",
          "fedsa-lora", "rank=2",
          "fedlora", "rank=2");

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    List<String[]> rows = new ArrayList<>();
    String[] topics = {"fruit apple pear", "tool hammer saw", "sport run swim"};
    for (int i = 0; i < 60; i++) {
      rows.add(new String[] {topics[i % 3] + " " + i, "t" + (i % 3)});
    }
    data = CliRun.jsonl(tmp.resolve("data.jsonl"), rows);
  }

  /** The adapters besides LoRA that the brief of train's resume names: Ravan, FedBE, softembed. */
  @ParameterizedTest
  @ValueSource(strings = {"ravan", "fedbe", "softembed"})
  void killedTrainResumesToTheSameResult(String adapter) throws Exception {
    KillResume.assertKilledTrainResumes(tmp, adapter, args(adapter), 8);
  }

  /**
   * LoRA with the frozen base in bfloat16 ({@code --precision bf16}, which the resume takes from
   * the checkpoint's arguments); both runs computed in bf16 (summary.json).
   */
  @ParameterizedTest
  @ValueSource(strings = {"lora"})
  void killedTrainOnABf16BaseResumesToTheSameResult(String adapter) throws Exception {
    List<String> args = args(adapter);
    args.addAll(List.of("--precision", "bf16"));
    String kind = adapter + "-bf16";
    KillResume.assertKilledTrainResumes(tmp, kind, args, 8);
    DeployMethodsCliTest.assertBf16(tmp.resolve("full-" + kind));
    DeployMethodsCliTest.assertBf16(tmp.resolve(kind));
  }

  /** As {@link #killedTrainOnABf16BaseResumesToTheSameResult} (slow): Ravan and softembed. */
  @ParameterizedTest
  @ValueSource(strings = {"ravan", "softembed"})
  @Tag("slow")
  void killedTrainOfAnotherAdapterOnABf16BaseResumesToTheSameResult(String adapter)
      throws Exception {
    killedTrainOnABf16BaseResumesToTheSameResult(adapter);
  }

  /** The arguments of a 12-step train of {@code adapter}, checkpointed every 4 steps. */
  private static List<String> args(String adapter) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--model",
                model.toString(),
                "--data",
                data.toString(),
                "--adapter",
                adapter,
                "--steps",
                "12",
                "--checkpoint-every",
                "4",
                "--eval-every",
                "4",
                "--batch-size",
                "4",
                "--lr",
                "1e-2",
                "--seed",
                "3"));
    if (!OPTIONS.get(adapter).isEmpty()) {
      args.addAll(List.of("--adapter-options", OPTIONS.get(adapter)));
    }
    return args;
  }

  /**
   * The other adapters (slow: about 12 s each on 2 cores): LoRA killed with SIGKILL (its Ctrl-C is
   * in the default run), top-blocks, Fed-SB, FedSA-LoRA's and FedLoRA's LoRA.
   */
  @ParameterizedTest
  @ValueSource(strings = {"lora", "top-blocks", "fed-sb", "fedsa-lora", "fedlora"})
  @Tag("slow")
  void killedTrainOfAnotherAdapterResumesToTheSameResult(String adapter) throws Exception {
    killedTrainResumesToTheSameResult(adapter);
  }
}
