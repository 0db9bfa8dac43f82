package org.fedpeft.grpc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** Collects transport events and lets a test wait for one, without sleeping. */
final class Events implements Consumer<TransportEvent> {

  private final List<TransportEvent> events = new ArrayList<>();

  @Override
  public synchronized void accept(TransportEvent e) {
    events.add(e);
    notifyAll();
  }

  /** Everything so far. */
  synchronized List<TransportEvent> all() {
    return List.copyOf(events);
  }

  /** How many events so far match. */
  synchronized long count(Predicate<TransportEvent> p) {
    return events.stream().filter(p).count();
  }

  /**
   * Waits until {@code n} events match; the timeout only bounds a broken test.
   *
   * @return the n-th matching event
   */
  synchronized TransportEvent await(Predicate<TransportEvent> p, int n, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<TransportEvent> matching = events.stream().filter(p).toList();
      if (matching.size() >= n) {
        return matching.get(n - 1);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no " + n + " matching events within " + timeout + ": " + events);
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  TransportEvent await(Predicate<TransportEvent> p) throws InterruptedException {
    return await(p, 1, Duration.ofMinutes(1));
  }

  static Predicate<TransportEvent> is(TransportEvent.Kind kind, String node) {
    return e -> e.kind() == kind && e.node().equals(node);
  }
}
