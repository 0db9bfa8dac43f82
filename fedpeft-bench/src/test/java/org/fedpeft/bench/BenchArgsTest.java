package org.fedpeft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The checks behind {@link BenchSupport.Args}: each refusal names the argument and the value. */
class BenchArgsTest {

  @Test
  void countsOutsideTheRangeAreRefused() {
    assertNull(BenchSupport.Args.countProblem(0, 0, 2));
    assertNull(BenchSupport.Args.countProblem(2, 0, 2));
    assertEquals("takes at most 2 argument(s), got 3", BenchSupport.Args.countProblem(3, 0, 2));
    assertEquals("takes no arguments, got 1", BenchSupport.Args.countProblem(1, 0, 0));
    assertEquals("needs at least 2 argument(s), got 1", BenchSupport.Args.countProblem(1, 2, 2));
  }

  @Test
  void wholeNumbersAreChecked() {
    assertEquals(30, BenchSupport.Args.parseCount("TIMED_STEPS", "30", 1));
    assertEquals(0, BenchSupport.Args.parseCount("SEED", "0", 0));
    assertEquals(
        "TIMED_STEPS: 'abc' is not a whole number >= 1",
        assertThrows(
                IllegalArgumentException.class,
                () -> BenchSupport.Args.parseCount("TIMED_STEPS", "abc", 1))
            .getMessage());
    assertEquals(
        "REPS: '0' is not a whole number >= 1",
        assertThrows(
                IllegalArgumentException.class, () -> BenchSupport.Args.parseCount("REPS", "0", 1))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> BenchSupport.Args.parseCount("N", "1.5", 1));
    assertThrows(
        IllegalArgumentException.class, () -> BenchSupport.Args.parseCount("N", "99999999999", 1));
  }

  @Test
  void fractionsAndChoicesAreChecked() {
    assertEquals(0.05f, BenchSupport.Args.parseFraction("DROPOUT", "0.05"));
    assertEquals(0f, BenchSupport.Args.parseFraction("DROPOUT", "0"));
    assertEquals(
        "DROPOUT: '1' is not a number in [0, 1)",
        assertThrows(
                IllegalArgumentException.class,
                () -> BenchSupport.Args.parseFraction("DROPOUT", "1"))
            .getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> BenchSupport.Args.parseFraction("DROPOUT", "NaN"));
    assertEquals("bf16", BenchSupport.Args.parseChoice("PRECISION", "bf16", "fp32", "bf16"));
    assertEquals(
        "--ort-spin: 'maybe' is not one of true, false",
        assertThrows(
                IllegalArgumentException.class,
                () -> BenchSupport.Args.parseChoice("--ort-spin", "maybe", "true", "false"))
            .getMessage());
  }
}
