package org.fedpeft.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Rounds to target from crafted metrics.jsonl lines. */
class ConvergenceTest {

  static final List<String> LINES =
      List.of(
          "{\"event\":\"round\",\"round\":1,\"train_loss\":1.2}",
          "{\"event\":\"round\",\"round\":2,\"accuracy\":0.41}",
          "{\"event\":\"other\",\"round\":3,\"accuracy\":0.99}",
          "{\"event\":\"round\",\"round\":3,\"train_loss\":0.9}",
          "{\"event\":\"round\",\"round\":4,\"accuracy\":0.6}",
          "",
          "{\"event\":\"round\",\"round\":5,\"accuracy\":NaN}",
          "{\"event\":\"round\",\"round\":6,\"accuracy\":0.55}",
          "{\"event\":\"round\",\"round\":8,\"accuracy\":0.7}");

  @Test
  void theFirstEvaluatedRoundAtOrAboveTheTarget() {
    assertEquals(2, Convergence.roundsToTarget(LINES, 0.41), "reached exactly");
    assertEquals(4, Convergence.roundsToTarget(LINES, 0.5), "not the first line above it later");
    assertEquals(8, Convergence.roundsToTarget(LINES, 0.65), "NaN and other events never count");
    assertNull(Convergence.roundsToTarget(LINES, 0.71), "never reached");
    assertNull(Convergence.roundsToTarget(List.of(), 0.1));
  }
}
