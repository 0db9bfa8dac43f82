package org.fedpeft.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StringValuesTest {

  @Test
  void readsTrimmedValues() {
    assertEquals(8, StringValues.toInt(" 8 ", "x"));
    assertEquals(1L << 40, StringValues.toLong("1099511627776", "x"));
    assertEquals(2e-3, StringValues.toDouble("2e-3", "x"));
    assertTrue(StringValues.toBoolean("TRUE", "x"));
    assertFalse(StringValues.toBoolean(" false", "x"));
  }

  @Test
  void errorsNameWhatWasReadAndTheValue() {
    assertEquals(
        "lora: option 'rank' must be an integer, got '8.5'",
        assertThrows(
                IllegalArgumentException.class,
                () -> StringValues.toInt("8.5", "lora: option 'rank'"))
            .getMessage());
    assertEquals(
        "config 'seed' must be an integer, got '1e3'",
        assertThrows(
                IllegalArgumentException.class, () -> StringValues.toLong("1e3", "config 'seed'"))
            .getMessage());
    assertEquals(
        "p must be a finite number, got 'NaN'",
        assertThrows(IllegalArgumentException.class, () -> StringValues.toDouble("NaN", "p"))
            .getMessage());
    assertEquals(
        "p must be a number, got 'fast'",
        assertThrows(IllegalArgumentException.class, () -> StringValues.toDouble("fast", "p"))
            .getMessage());
    assertEquals(
        "b must be true or false, got 'yes'",
        assertThrows(IllegalArgumentException.class, () -> StringValues.toBoolean("yes", "b"))
            .getMessage());
  }
}
