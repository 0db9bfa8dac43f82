package org.fedpeft.grpc;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import org.fedpeft.io.Words;

/**
 * The console lines of {@link TransportEvent}s, in which a node that keeps failing the same way
 * leaves a few lines rather than one per attempt: of a node's {@link
 * TransportEvent.Kind#CONNECT_FAILED} or {@link TransportEvent.Kind#REFUSED} events, the first and
 * any whose reason differs from the one before are shown in full ({@link TransportEvent#toString});
 * of the repeats that follow, only the 1st, 2nd, 4th, 8th, ... (powers of two) are shown, as a
 * count: {@code connect_failed client-0: the same again, 4 more times since it was shown in full;
 * still trying every 30 s} (the delay, when the event gives one). A repeat is the same kind and
 * detail, apart from the {@code (trying again in N s)} a node's line ends with ({@link
 * ClientNode#TRYING_AGAIN}), which grows with its backoff. Any other event of the node is shown in
 * full and starts the count again. A node refused for a while (a finished run's server that does
 * not stop it) retrying every 30 s leaves 8 lines in its first hour, then one more per doubling.
 *
 * <p>Only the lines are collapsed: a listener still gets one event per attempt. Remembers at most
 * {@link #MAX_NODES} nodes (the least recently reported are forgotten). Thread-safe; a caller that
 * prints the lines of events from several threads takes and prints each line under one lock, so
 * that a count is never printed before the line it counts (the CLI's console does).
 */
public final class EventLines {

  /** The most nodes whose last reason is remembered. */
  static final int MAX_NODES = 1024;

  private static final class Last {
    final String key;
    long repeats;

    Last(String key) {
      this.key = key;
    }
  }

  private final Map<String, Last> byNode =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Last> eldest) {
          return size() > MAX_NODES;
        }
      };

  /**
   * The line to show for {@code e}, or null if it is a repeat that is only counted.
   *
   * @param e an event of a server or a node
   */
  public synchronized String line(TransportEvent e) {
    Objects.requireNonNull(e, "e");
    boolean repeatable =
        e.kind() == TransportEvent.Kind.CONNECT_FAILED || e.kind() == TransportEvent.Kind.REFUSED;
    if (!repeatable) {
      byNode.remove(e.node());
      return e.toString();
    }
    Matcher retry = ClientNode.TRYING_AGAIN.matcher(e.detail());
    boolean retries = retry.find();
    String reason = retries ? e.detail().substring(0, retry.start()) : e.detail();
    String key = e.kind() + " " + e.requestId() + " " + e.round() + " " + reason;
    Last last = byNode.get(e.node());
    if (last == null || !last.key.equals(key)) {
      byNode.put(e.node(), new Last(key));
      return e.toString();
    }
    long n = ++last.repeats;
    if (Long.bitCount(n) != 1) {
      return null;
    }
    return new TransportEvent(
            e.kind(),
            e.node(),
            e.requestId(),
            e.round(),
            "the same again, "
                + n
                + " more "
                + Words.plural(n, "time")
                + " since it was shown in full"
                + (retries ? "; still trying every " + retry.group(1) : ""))
        .toString();
  }
}
