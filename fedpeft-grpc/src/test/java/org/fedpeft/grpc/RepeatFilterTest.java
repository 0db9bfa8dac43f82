package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RepeatFilterTest {

  @Test
  void repeatsWithinTheWindowAreCountedAndSaidWithTheNextReport() {
    AtomicLong now = new AtomicLong();
    RepeatFilter f = new RepeatFilter(Duration.ofSeconds(60), now::get);
    assertEquals(0, f.offer("10.0.0.1\nno certificate"));
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertEquals(-1, f.offer("10.0.0.1\nno certificate"));
    assertEquals(0, f.offer("10.0.0.2\nno certificate"), "another host is reported");
    assertEquals(0, f.offer("10.0.0.1\nnot TLS"), "another reason is reported");
    now.addAndGet(Duration.ofSeconds(30).toNanos());
    assertEquals(-1, f.offer("10.0.0.1\nno certificate"));
    now.addAndGet(Duration.ofSeconds(30).toNanos());
    assertEquals(2, f.offer("10.0.0.1\nno certificate"), "61 s after: shown, with 2 repeats");
    assertEquals(-1, f.offer("10.0.0.1\nno certificate"), "a new window starts");
    assertEquals(7, f.seen());
  }

  @Test
  void remembersABoundedNumberOfKeys() {
    RepeatFilter f = new RepeatFilter(Duration.ofHours(1), () -> 0L);
    for (int i = 0; i <= RepeatFilter.MAX_KEYS; i++) {
      assertEquals(0, f.offer("host-" + i));
    }
    assertEquals(0, f.offer("host-0"), "the oldest key was forgotten");
    assertEquals(-1, f.offer("host-" + RepeatFilter.MAX_KEYS));
  }
}
