package org.fedpeft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NativeHeapTest {

  @Test
  void intervalDefaultsToAutoAndAcceptsZero() {
    assertEquals(NativeHeap.AUTO, NativeHeap.interval(null));
    assertEquals(NativeHeap.AUTO, NativeHeap.interval(" "));
    assertEquals(NativeHeap.AUTO, NativeHeap.interval(" auto "));
    assertEquals(0, NativeHeap.interval("0"));
    assertEquals(7, NativeHeap.interval(" 7 "));
  }

  @Test
  void autoTrimsOnlyWhenTheResidentSetGrewPastItsReference() {
    NativeHeap.Growth g = new NativeHeap.Growth();
    // The first four units set the reference: the largest of them, 1000.
    for (long rss : new long[] {600, 1000, 900, 950}) {
      assertFalse(g.shouldTrim(rss), "settling at " + rss);
    }
    // Up to 15 % above it, and any amount below it (an evaluation's smaller batches): no trim.
    for (long rss : new long[] {1000, 1150, 700, 1100}) {
      assertFalse(g.shouldTrim(rss), "within the reference at " + rss);
    }
    assertTrue(g.shouldTrim(1151), "1151 is more than 15 % above 1000");
    // A trim starts a new reference from the next four units.
    for (long rss : new long[] {800, 1200, 1300, 1250}) {
      assertFalse(g.shouldTrim(rss), "settling again at " + rss);
    }
    assertFalse(g.shouldTrim(1495));
    assertTrue(g.shouldTrim(1496));
  }

  @Test
  void residentPagesAreReadOnLinux() {
    long pages = NativeHeap.residentPages();
    if (Files.isReadable(Path.of("/proc/self/statm"))) {
      assertTrue(pages > 0, "resident pages " + pages);
    } else {
      assertEquals(-1, pages);
    }
  }

  @Test
  void badIntervalNamesTheProperty() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NativeHeap.interval("-1"));
    assertTrue(e.getMessage().contains("fedpeft.trim.every"), e.getMessage());
    assertTrue(e.getMessage().contains("'-1'"), e.getMessage());
    assertTrue(e.getMessage().contains("'auto'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> NativeHeap.interval("often"));
  }

  @Test
  void trimRunsOnThisJdkOrReportsThatItCannot() {
    // JDK 17.0.9+ has System.trim_native_heap; an older JDK may answer false, and must not throw.
    Runtime.Version v = Runtime.version();
    boolean first = NativeHeap.trim();
    assertEquals(first, NativeHeap.trim());
    if (v.feature() > 17 || v.update() >= 9) {
      assertTrue(first, "System.trim_native_heap should run on " + v);
    }
  }
}
