package org.fedpeft.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The data's own partition: one client per distinct {@link Example#client()} value (or per {@link
 * Example#task()}, for multi-task federations where each client owns one task). Clients are ordered
 * by value (see {@link #groups(Dataset)}); the seed is not used. Every example must have a value.
 * Spec: {@code natural}, {@code natural:client} or {@code natural:task}.
 *
 * @param key which field groups the examples
 */
public record NaturalPartitioner(Key key) implements Partitioner {

  /** The field a natural partition groups by. */
  public enum Key {
    /** {@link Example#client()}. */
    CLIENT,
    /** {@link Example#task()}. */
    TASK;

    String field() {
      return this == CLIENT ? "client" : "task";
    }
  }

  /** Checks the key. */
  public NaturalPartitioner {
    java.util.Objects.requireNonNull(key, "key");
  }

  /** The group values in client order: client {@code j} of the partition holds group {@code j}. */
  public List<String> groups(Dataset data) {
    return key == Key.CLIENT ? data.clients() : data.tasks();
  }

  /**
   * {@inheritDoc}
   *
   * @param numClients the number of distinct values in the data, or 0 to take it from the data
   */
  @Override
  public List<int[]> partition(Dataset data, int numClients, long seed) {
    int missing = 0;
    int firstMissing = -1;
    for (int i = 0; i < data.size(); i++) {
      if (value(data.example(i)) == null) {
        missing++;
        if (firstMissing < 0) {
          firstMissing = i;
        }
      }
    }
    if (missing > 0) {
      throw new IllegalArgumentException(
          data.location(firstMissing)
              + ": a natural partition by "
              + key.field()
              + " needs a \""
              + key.field()
              + "\" value on every example; "
              + missing
              + " of "
              + data.size()
              + " have none");
    }
    List<String> groups = groups(data);
    if (numClients != 0 && numClients != groups.size()) {
      throw new IllegalArgumentException(
          "a natural partition by "
              + key.field()
              + " found "
              + groups.size()
              + " distinct "
              + key.field()
              + " values in "
              + data.name()
              + " "
              + abbreviate(groups)
              + " but numClients is "
              + numClients
              + "; use "
              + groups.size()
              + " or 0 (take the count from the data)");
    }
    if (groups.isEmpty()) {
      throw new IllegalArgumentException("a natural partition of an empty dataset has no clients");
    }
    Map<String, Integer> index = new HashMap<>();
    for (int g = 0; g < groups.size(); g++) {
      index.put(groups.get(g), g);
    }
    int[] sizes = new int[groups.size()];
    for (Example e : data.examples()) {
      sizes[index.get(value(e))]++;
    }
    List<int[]> parts = new ArrayList<>(groups.size());
    for (int size : sizes) {
      parts.add(new int[size]);
    }
    int[] fill = new int[groups.size()];
    for (int i = 0; i < data.size(); i++) {
      int g = index.get(value(data.example(i)));
      parts.get(g)[fill[g]++] = i;
    }
    return parts;
  }

  private String value(Example e) {
    return key == Key.CLIENT ? e.client() : e.task();
  }

  private static String abbreviate(List<String> values) {
    if (values.size() <= 10) {
      return values.toString();
    }
    return values.subList(0, 10).toString().replace("]", ", ...]");
  }

  @Override
  public String spec() {
    return key == Key.CLIENT ? "natural" : "natural:task";
  }
}
