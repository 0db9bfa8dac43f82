package org.fedpeft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NativeHeapTest {

  @Test
  void intervalDefaultsTo16AndAcceptsZero() {
    assertEquals(16, NativeHeap.interval(null));
    assertEquals(16, NativeHeap.interval(" "));
    assertEquals(0, NativeHeap.interval("0"));
    assertEquals(7, NativeHeap.interval(" 7 "));
  }

  @Test
  void badIntervalNamesTheProperty() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NativeHeap.interval("-1"));
    assertTrue(e.getMessage().contains("fedpeft.trim.every"), e.getMessage());
    assertTrue(e.getMessage().contains("'-1'"), e.getMessage());
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
