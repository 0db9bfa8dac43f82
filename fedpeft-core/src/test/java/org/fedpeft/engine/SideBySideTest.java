package org.fedpeft.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * QA, 6 December: {@link SideBySide} runs two halves at once on its own threads, with the calling
 * thread's intra-op threads shared between them and its gradient mode, waits for both (through
 * interrupts and failures), and rethrows the first failure as it was.
 */
@ExtendWith(ThreadSettingsRestored.class)
class SideBySideTest {

  @Test
  void halvesSplitIndicesFirstHalfRoundedUp() {
    int[][] h = SideBySide.halves(new int[] {7, 8, 9, 10, 11});
    assertArrayEquals(new int[] {7, 8, 9}, h[0]);
    assertArrayEquals(new int[] {10, 11}, h[1]);
    h = SideBySide.halves(new int[] {1, 2});
    assertArrayEquals(new int[] {1}, h[0]);
    assertArrayEquals(new int[] {2}, h[1]);
  }

  @Test
  void sideBySideNeedsTwoExamplesAndTwoThreads() {
    Engines.intraOpThreads(1);
    assertFalse(SideBySide.sideBySide(16));
    Engines.intraOpThreads(2);
    assertTrue(SideBySide.sideBySide(16));
    assertFalse(SideBySide.sideBySide(1));
  }

  @Test
  void withOneThreadTheHalvesRunOneAfterTheOtherOnTheCallingThread() {
    Engines.intraOpThreads(1);
    java.util.List<String> order = new java.util.ArrayList<>();
    SideBySide.Results<String> r =
        SideBySide.run(
            k -> {
              order.add("half " + k);
              return Thread.currentThread().getName();
            });
    assertEquals(java.util.List.of("half 0", "half 1"), order);
    assertEquals(Thread.currentThread().getName(), r.first());
    assertEquals(Thread.currentThread().getName(), r.second());
  }

  @Test
  void eachHalfRunsOnItsOwnThreadWithItsShareOfThreadsAndTheCallersGradientMode() {
    for (boolean grad : new boolean[] {false, true}) {
      Engines.intraOpThreads(3);
      JniUtils.setGradMode(grad);
      CountDownLatch both = new CountDownLatch(2);
      SideBySide.Results<String> r =
          SideBySide.run(
              k ->
                  meet(both)
                      + Thread.currentThread().getName()
                      + "|"
                      + Thread.currentThread().getId()
                      + "|"
                      + JniUtils.getNumThreads()
                      + "|"
                      + JniUtils.isGradMode());
      String[] a = r.first().split("\\|");
      String[] b = r.second().split("\\|");
      assertEquals("fedpeft-batch-half", a[0]);
      assertEquals("fedpeft-batch-half", b[0]);
      assertNotEquals(a[1], b[1], "two threads");
      assertEquals("2", a[2], "first half: 3 - 3/2 threads");
      assertEquals("1", b[2], "second half: 3/2 threads");
      assertEquals(Boolean.toString(grad), a[3]);
      assertEquals(Boolean.toString(grad), b[3]);
      assertEquals(3, JniUtils.getNumThreads(), "the caller's count is left as it was");
    }
  }

  /** Returns "" once both halves arrived: they run at the same time, on two threads. */
  private static String meet(CountDownLatch both) {
    both.countDown();
    try {
      both.await();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    return "";
  }

  /**
   * The halves' threads set their own count without changing the count that threads starting later
   * take: a fresh thread relying on that default (MiniLmDeterminismTest's) trained whole batches
   * after a first run in halves had set it to one, and ended in other bits.
   */
  @Test
  void threadsStartingLaterTakeTheSameCountAsBefore() {
    // 6 threads: halves of 3 each, a count no earlier test used, so its pool starts here.
    Engines.intraOpThreads(6);
    assertEquals(6, Engines.intraOpThreadsOfNewThreads());
    SideBySide.Results<Integer> r = SideBySide.run(k -> JniUtils.getNumThreads());
    assertEquals(3, r.first());
    assertEquals(3, r.second());
    assertEquals(6, Engines.intraOpThreadsOfNewThreads());
    assertEquals(6, JniUtils.getNumThreads());
  }

  /**
   * Two threads setting their own counts at once (two pool threads starting together) leave the
   * default of new threads as it was: without a lock, the second could read the first's count as
   * the default and set it back to that (MiniLmDeterminismTest failed so under load).
   */
  @Test
  void threadsSettingTheirOwnCountsAtOnceLeaveTheDefault() throws Exception {
    Engines.intraOpThreads(2);
    for (int round = 0; round < 20; round++) {
      int count = 3 + round % 2; // fresh threads: each starts at the default, 2
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int k = 0; k < 2; k++) {
        Thread t =
            new Thread(
                () -> {
                  try {
                    start.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  Engines.intraOpThreadsOfThisThreadOnly(count);
                });
        t.start();
        threads.add(t);
      }
      start.countDown();
      for (Thread t : threads) {
        t.join();
      }
      assertEquals(2, Engines.intraOpThreadsOfNewThreads(), "round " + round);
    }
  }

  @Test
  void aFailureIsRethrownAfterTheOtherHalfEnded() {
    CountDownLatch firstFailing = new CountDownLatch(1);
    AtomicBoolean secondEnded = new AtomicBoolean();
    IllegalStateException boom = new IllegalStateException("boom");
    IllegalStateException got =
        assertThrows(
            IllegalStateException.class,
            () ->
                SideBySide.run(
                    k -> {
                      if (k == 0) {
                        firstFailing.countDown();
                        throw boom;
                      }
                      try {
                        firstFailing.await();
                      } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                      }
                      secondEnded.set(true);
                      return 1;
                    }));
    assertSame(boom, got);
    assertTrue(secondEnded.get(), "run returned before the second half ended");
    Error error = new AssertionError("an error");
    assertSame(
        error,
        assertThrows(
            AssertionError.class,
            () ->
                SideBySide.run(
                    k -> {
                      if (k == 1) {
                        throw error;
                      }
                      return 0;
                    })));
  }

  @Test
  void anInterruptedCallerStillGetsBothResultsAndKeepsItsInterrupt() {
    Thread.currentThread().interrupt();
    try {
      SideBySide.Results<Integer> r = SideBySide.run(k -> k + 10);
      assertEquals(10, r.first());
      assertEquals(11, r.second());
      assertTrue(Thread.currentThread().isInterrupted());
    } finally {
      Thread.interrupted();
    }
  }
}
