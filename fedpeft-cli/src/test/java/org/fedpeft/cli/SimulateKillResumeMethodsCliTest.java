package org.fedpeft.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A simulation of every method and stateful option killed with SIGKILL after round 2's metrics line
 * (its checkpoint holds round 2 without its evaluation), then resumed, ends with the files of the
 * uninterrupted run, byte for byte ({@link KillResume}): Ravan's head selection with budgets
 * (random from the seed, gradient from a scoring batch), soft embeddings, classifier-as-retriever
 * (the head made from the corpus), FedSA-LoRA (each client's LOCAL B), FFA-LoRA, FedEx-LoRA (the
 * residual the server accumulates), FedAdam (the server optimiser's moments), client-level DP with
 * adaptive clipping (the clip norm the server adapts and its seeded noise), and FedBE with random
 * allocation. {@code SimulateCliTest} covers plain LoRA, sample-level DP, FedBE's coverage
 * allocation and FedDPA. Some methods are also killed and resumed on a bfloat16 frozen base. The
 * configs are {@link DeployMethodsCliTest}'s: 3 rounds of 2 of 3 clients.
 */
@Timeout(600)
class SimulateKillResumeMethodsCliTest {

  @TempDir Path tmp;

  /**
   * The methods and options whose state a resume could lose on its own: the gradient-scored head
   * selection, the head made from the corpus, the clients' LOCAL B, the residual, the optimiser's
   * moments and the adapted clip norm.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {"ravan-gradient", "car", "fedsa-lora", "fedex-lora", "fedadam", "dp-client"})
  void killedRunResumesToTheSameResult(String method) throws Exception {
    KillResume.assertKilledSimulationResumes(
        tmp, method, DeployMethodsCliTest.config(tmp, method), List.of(), 2);
  }

  /**
   * The methods and strategies that deployment tests do not run, by their config sections: HetLoRA
   * with self-pruning (each client's kept rank in the server state) and skewed budgets, FlexLoRA,
   * FedYogi, FedProx, Fed-SB and top-blocks; and combinations of a method's state with another's:
   * FedDPA-F evaluated every round (each client's fine-tuned LOCAL copy), FedBE's coverage
   * allocation under FedAdam (the coverage counts and the optimiser's moments) and soft embeddings
   * of the mlp form under client-level DP (the seeded noise).
   */
  static final Map<String, String> MORE =
      Map.of(
          "hetlora-prune",
          """
          [adapter]
          method = "lora"
          rank = 4
          targets = ["query", "value"]

          [client]
          budgets = "skewed"

          [server]
          strategy = "hetlora"
          hetlora.prune = true
          """,
          "flexlora",
          """
          [adapter]
          method = "lora"
          rank = 4
          targets = ["query", "value"]

          [client]
          budgets = "skewed"

          [server]
          strategy = "flexlora"
          """,
          "fedyogi-fedprox",
          """
          [adapter]
          method = "lora"
          rank = 2
          targets = ["query", "value"]

          [client]
          proximal_mu = 0.1

          [server]
          strategy = "fedit"
          optimizer = "fedyogi"
          learning_rate = 1e-3
          """,
          "fed-sb",
          """
          [adapter]
          method = "fed-sb"
          rank = 2

          [server]
          strategy = "fedavg"
          """,
          "top-blocks",
          """
          [adapter]
          method = "top-blocks"
          blocks = 1

          [server]
          strategy = "fedavg"
          """,
          "feddpa-f",
          """
          [adapter]
          method = "feddpa"
          variant = "F"
          rank = 2
          targets = ["query", "value"]

          [server]
          strategy = "fedit"

          [eval]
          every = 1
          """,
          "fedbe-coverage-fedadam",
          """
          [adapter]
          method = "fedbe"
          blocks = 2
          allocation = "coverage"

          [client]
          budgets = "skewed"

          [server]
          strategy = "fedbe"
          optimizer = "fedadam"
          learning_rate = 1e-3
          """,
          "softembed-mlp-dp-client",
          """
          [adapter]
          method = "softembed"
          form = "mlp"
          rank = 4

          [server]
          strategy = "fedavg"

          [privacy]
          mode = "client"
          noise = "seeded"
          client.noise_multiplier = 0.5
          """);

  @ParameterizedTest
  @ValueSource(
      strings = {
        "hetlora-prune",
        "flexlora",
        "fedyogi-fedprox",
        "fed-sb",
        "top-blocks",
        "feddpa-f",
        "fedbe-coverage-fedadam",
        "softembed-mlp-dp-client"
      })
  @Tag("slow")
  void killedRunOfAStrategyResumesToTheSameResult(String method) throws Exception {
    KillResume.assertKilledSimulationResumes(
        tmp, method, DeployMethodsCliTest.config(tmp, method, MORE.get(method)), List.of(), 2);
  }

  /**
   * The other configurations, whose state is the one above's or none (slow: about 6 s each on 2
   * cores): Ravan's random selection, soft embeddings of low rank, FFA-LoRA (A frozen) and FedBE's
   * random allocation.
   */
  @ParameterizedTest
  @ValueSource(strings = {"ravan-random", "softembed", "ffa-lora", "fedbe-random"})
  @Tag("slow")
  void killedRunOfAnotherConfigurationResumesToTheSameResult(String method) throws Exception {
    killedRunResumesToTheSameResult(method);
  }

  /**
   * With the frozen base in bfloat16 ({@code --set model.precision=bf16}, which the resume takes
   * from the run folder's config): FedIT's LoRA and Ravan's gradient head selection. Both runs
   * computed in bf16 (summary.json).
   */
  @ParameterizedTest
  @ValueSource(strings = {"lora", "ravan-gradient"})
  void killedRunOnABf16BaseResumesToTheSameResult(String method) throws Exception {
    String sections =
        MORE.containsKey(method) ? MORE.get(method) : DeployMethodsCliTest.SECTIONS.get(method);
    KillResume.Runs runs =
        KillResume.assertKilledSimulationResumes(
            tmp,
            method,
            DeployMethodsCliTest.config(tmp, method, sections),
            List.of("--set", "model.precision=bf16"),
            2);
    DeployMethodsCliTest.assertBf16(runs.full());
    DeployMethodsCliTest.assertBf16(runs.resumed());
  }

  /**
   * As {@link #killedRunOnABf16BaseResumesToTheSameResult} (slow: about 6-9 s each on 2 cores):
   * soft embeddings, FedBE's random allocation, FedDPA-F evaluated every round and top-blocks
   * (whose copied blocks compute in float32 from the bf16 values).
   */
  @ParameterizedTest
  @ValueSource(strings = {"softembed", "fedbe-random", "feddpa-f", "top-blocks"})
  @Tag("slow")
  void killedRunOfAnotherMethodOnABf16BaseResumesToTheSameResult(String method) throws Exception {
    killedRunOnABf16BaseResumesToTheSameResult(method);
  }

  /**
   * Killed after the last round's metrics line (and its second checkpoint): the resume trains
   * nothing and writes the adapter, each client's own model (FedSA-LoRA's LOCAL B) and the summary,
   * as the uninterrupted run did.
   */
  @Test
  void killedInTheLastRoundResumesToTheSameResult() throws Exception {
    KillResume.assertKilledSimulationResumes(
        tmp, "fedsa-lora", DeployMethodsCliTest.config(tmp, "fedsa-lora"), List.of(), 3);
  }
}
