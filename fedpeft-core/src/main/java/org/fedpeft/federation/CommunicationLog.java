package org.fedpeft.federation;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.fedpeft.io.JsonFiles;

/**
 * Bytes exchanged, per round, per client, per direction: {@code DOWN} is what the server sends (the
 * serialized {@link FitInstructions} or {@link EvaluateInstructions}), {@code UP} what the client
 * sends (the serialized {@link ClientUpdate} or {@link EvaluateResult}). Each entry is the length
 * of the safetensors form of the actual message, header included, so the totals are what a network
 * transport carries as payload.
 *
 * <p>Bytes of a round that then fails still count: they were sent. Thread-safe. {@link #toJson()}
 * writes every entry plus totals per round and overall; {@link #fromJson} reads the entries back.
 *
 * <p>A resumed run's log continues from the totals of the run so far alone ({@link #continuing}):
 * {@link #total} counts them, while the entries, and the per-round and per-client sums made of
 * them, hold only what is recorded from then on (a run asks those for the round it is in).
 */
public final class CommunicationLog {

  /** Who sends. */
  public enum Direction {
    /** Server to client. */
    DOWN,
    /** Client to server. */
    UP
  }

  /** Which exchange. */
  public enum Phase {
    /** Training: instructions down, update up. */
    FIT,
    /** Evaluation: instructions down, metrics up. */
    EVALUATE
  }

  /**
   * One message.
   *
   * @param round the round (for evaluation: the completed rounds of the evaluated state)
   * @param clientId the client
   * @param phase fit or evaluate
   * @param direction down or up
   * @param bytes the serialized size
   */
  public record Entry(int round, String clientId, Phase phase, Direction direction, long bytes) {

    /** Validates the fields. */
    public Entry {
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(phase, "phase");
      Objects.requireNonNull(direction, "direction");
      if (bytes < 0) {
        throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
      }
    }
  }

  private final List<Entry> entries = new ArrayList<>();

  /**
   * The bytes sent before the first entry, by {@link Direction#ordinal()} ({@link #continuing}).
   */
  private final long[] earlier = new long[2];

  /** An empty log. */
  public CommunicationLog() {}

  /**
   * A log that continues one whose totals were {@code down} and {@code up} bytes, without its
   * entries: {@link #total} starts from them.
   */
  public static CommunicationLog continuing(long down, long up) {
    if (down < 0 || up < 0) {
      throw new IllegalArgumentException("byte totals must be >= 0, got " + down + ", " + up);
    }
    CommunicationLog log = new CommunicationLog();
    log.earlier[Direction.DOWN.ordinal()] = down;
    log.earlier[Direction.UP.ordinal()] = up;
    return log;
  }

  /** Records one message. */
  public synchronized void record(
      int round, String clientId, Phase phase, Direction direction, long bytes) {
    entries.add(new Entry(round, clientId, phase, direction, bytes));
  }

  /** Every entry, in the order recorded. */
  public synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** All bytes in one direction, with those of the log it continues ({@link #continuing}). */
  public synchronized long total(Direction direction) {
    long s = earlier[direction.ordinal()];
    for (Entry e : entries) {
      if (e.direction == direction) {
        s += e.bytes;
      }
    }
    return s;
  }

  /** The bytes of one round in one direction (both phases). */
  public synchronized long roundTotal(int round, Direction direction) {
    long s = 0;
    for (Entry e : entries) {
      if (e.round == round && e.direction == direction) {
        s += e.bytes;
      }
    }
    return s;
  }

  public synchronized long bytes(int round, String clientId, Direction direction) {
    long s = 0;
    for (Entry e : entries) {
      if (e.round == round && e.clientId.equals(clientId) && e.direction == direction) {
        s += e.bytes;
      }
    }
    return s;
  }

  /**
   * The JSON form: entries, per-round totals (of the entries) and overall totals ({@link #total}).
   */
  public synchronized String toJson() {
    JsonObject root = new JsonObject();
    JsonArray list = new JsonArray();
    SortedMap<Integer, long[]> perRound = new TreeMap<>();
    for (Entry e : entries) {
      JsonObject o = new JsonObject();
      o.addProperty("round", e.round);
      o.addProperty("client", e.clientId);
      o.addProperty("phase", e.phase.name().toLowerCase(Locale.ROOT));
      o.addProperty("direction", e.direction.name().toLowerCase(Locale.ROOT));
      o.addProperty("bytes", e.bytes);
      list.add(o);
      perRound.computeIfAbsent(e.round, k -> new long[2])[e.direction.ordinal()] += e.bytes;
    }
    JsonArray rounds = new JsonArray();
    perRound.forEach(
        (r, b) -> {
          JsonObject o = new JsonObject();
          o.addProperty("round", r);
          o.addProperty("down", b[0]);
          o.addProperty("up", b[1]);
          rounds.add(o);
        });
    JsonObject totals = new JsonObject();
    totals.addProperty("down", total(Direction.DOWN));
    totals.addProperty("up", total(Direction.UP));
    root.add("totals", totals);
    root.add("rounds", rounds);
    root.add("entries", list);
    return root.toString();
  }

  /**
   * Reads what {@link #toJson()} wrote: the entries, and, where the overall totals exceed the
   * entries' sums, the difference as the totals of the log it continues ({@link #continuing}).
   *
   * @throws IllegalArgumentException if the text is not such a log
   */
  public static CommunicationLog fromJson(String json) {
    CommunicationLog log = new CommunicationLog();
    try {
      JsonObject root = JsonFiles.parse(json).getAsJsonObject();
      JsonObject totals = root.getAsJsonObject("totals");
      if (totals != null) {
        log.earlier[Direction.DOWN.ordinal()] = totals.get("down").getAsLong();
        log.earlier[Direction.UP.ordinal()] = totals.get("up").getAsLong();
      }
      for (JsonElement el : root.getAsJsonArray("entries")) {
        JsonObject o = el.getAsJsonObject();
        log.record(
            o.get("round").getAsInt(),
            o.get("client").getAsString(),
            Phase.valueOf(o.get("phase").getAsString().toUpperCase(Locale.ROOT)),
            Direction.valueOf(o.get("direction").getAsString().toUpperCase(Locale.ROOT)),
            o.get("bytes").getAsLong());
      }
      for (Direction d : Direction.values()) {
        long recorded = log.total(d) - log.earlier[d.ordinal()];
        log.earlier[d.ordinal()] = Math.max(0, log.earlier[d.ordinal()] - recorded);
      }
    } catch (JsonParseException
        | IllegalStateException
        | NullPointerException
        | ClassCastException
        | UnsupportedOperationException e) {
      throw new IllegalArgumentException("not a communication log: " + e.getMessage(), e);
    }
    return log;
  }
}
