package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: {@code train --eval-every N} with N at or above --steps was accepted without a
 * word and evaluated after the last step only, as 0 does. Given, it is refused like
 * --checkpoint-every; the default (100) is never refused.
 */
class TrainEvalEveryCliTest {

  @TempDir static Path dir;
  static Path model;
  static Path data;

  @BeforeAll
  static void setUp() throws Exception {
    model = CliRun.tinyModelFolder(dir.resolve("model"));
    data = CliRun.animalsAndFood(dir.resolve("train.jsonl"), 10);
  }

  private static CliRun.Result train(Path out, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "train",
                "--model",
                model.toString(),
                "--data",
                data.toString(),
                "--steps",
                "3",
                "--out",
                out.toString()));
    args.addAll(List.of(more));
    return CliRun.run(args.toArray(new String[0]));
  }

  @Test
  void anEvalEveryAtOrAboveTheStepsIsRefusedBeforeTheRun() {
    for (String n : List.of("3", "50")) {
      Path out = dir.resolve("refused-" + n);
      CliRun.Result r = train(out, "--eval-every", n);
      assertEquals(2, r.code(), r.err());
      assertEquals(
          "fedpeft train: --eval-every "
              + n
              + " evaluates no step before the last in a run of --steps 3 (the last step is"
              + " evaluated in any case), so it does nothing; give N below --steps, or 0 for the"
              + " final evaluation only",
          r.err().strip());
      assertFalse(Files.exists(out), "no run folder");
    }
  }

  @Test
  void theDefaultAndABelowTheStepsRun() {
    // The default 100 is above --steps 3 but was not given: the run goes ahead.
    CliRun.Result r = train(dir.resolve("default"));
    assertEquals(0, r.code(), r.err());
    r = train(dir.resolve("below"), "--eval-every", "2");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("test accuracy: "), r.out());
  }
}
