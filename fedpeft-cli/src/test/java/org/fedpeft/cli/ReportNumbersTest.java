package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's number formatting and axis ticks, on the values issue 15 quotes. */
class ReportNumbersTest {

  @Test
  void reportNumbersAreTheIssuesExamplesRounded() {
    assertEquals("0.988", ReportWriter.number(0.9878754482269287));
    assertEquals("26.9 MB", ReportWriter.bytes(26919744));
    assertEquals("336 kB", ReportWriter.bytes(336300));
    assertEquals("1e-05", ReportWriter.number(1e-5));
    assertEquals("2.41", ReportWriter.number(2.4137));
    assertEquals("0", ReportWriter.number(0));
    assertEquals("4 min 54 s", ReportWriter.duration(294));
  }

  @Test
  void reportYTicksAreRoundSteps() {
    // The issue's accuracy axis read 0.186, 0.373 ...; its traffic axis 336.3k.
    assertArrayEquals(
        new double[] {0, 0.2, 0.4, 0.6, 0.8}, ReportWriter.niceTicks(0, 0.745, 5), 1e-12);
    double[] bytes = ReportWriter.niceTicks(0, 336300, 5);
    assertArrayEquals(new double[] {0, 100000, 200000, 300000, 400000}, bytes, 1e-9);
    assertEquals("300 kB", ReportWriter.tickLabel(300000, 100000, 400000, true));
    assertEquals("0.2", ReportWriter.tickLabel(0.2, 0.2, 0.8, false));
    assertEquals("2.5", ReportWriter.tickLabel(2.5, 2.5, 10, false));
  }

  @Test
  void reportHasIntegerRoundTicksAtAnyLength() {
    assertEquals(1, ReportWriter.roundStep(4));
    assertEquals(5, ReportWriter.roundStep(20));
    assertEquals(20, ReportWriter.roundStep(150));
    String svg =
        ReportWriter.lineChart(
            List.of(List.of(new double[] {5, 0.55}, new double[] {10, 0.6})),
            List.of("accuracy"),
            20,
            "accuracy");
    assertTrue(svg.contains("round 5, accuracy: 0.550"), svg);
    assertTrue(svg.contains(">15</text>"), svg);
  }
}
