package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train}'s --lr, --head-lr, --weight-decay and --max-grad-norm are 32-bit floats, and follow
 * the same rules as a simulation's client.* keys (TrainConfig.FloatRule). Review, 4 December:
 * picocli read 1e300 as infinity and 1e-60 as 0, so --lr 1e300 was refused as "--lr must be
 * positive, got Infinity" (the value given is positive), and --max-grad-norm 1e-60 silently turned
 * clipping off. Both are refused now naming the option, its value as given and the rule, before the
 * run folder is taken.
 */
class TrainFloatOptionsCliTest {

  @TempDir Path tmp;

  private CliRun.Result train(String option, String value) {
    return CliRun.run(
        "train", "--task", "wordnet-pos", "--out", tmp.resolve("out").toString(), option, value);
  }

  @Test
  void aValueNoFloatHoldsIsRefusedAsGiven() {
    CliRun.Result r = train("--lr", "1e300");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft train: --lr 1e300 is invalid: > 0 as a 32-bit float: about 1.4e-45 to 3.4e38",
        r.err().strip());
    assertFalse(Files.exists(tmp.resolve("out")), "nothing written");
  }

  @Test
  void aClippingNormThatIsZeroOnlyAsAFloatIsRefused() {
    CliRun.Result r = train("--max-grad-norm", "1e-60");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft train: --max-grad-norm 1e-60 is invalid: 0, or > 0 as a 32-bit float: about"
            + " 1.4e-45 to 3.4e38",
        r.err().strip());
  }
}
