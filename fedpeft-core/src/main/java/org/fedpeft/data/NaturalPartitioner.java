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
    requireValueOnEvery(data);
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
              + " but the run has "
              + numClients
              + " clients; set clients = "
              + groups.size());
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

  /**
   * Checks, before the training split is partitioned, what a split can hide: an example of any
   * split drawn from the training data without a value (so the answer does not depend on where the
   * seeded split put it), and a value whose examples all went to validation or test, which would
   * leave that client without training data.
   *
   * @param testFromTrainingData whether the test split was split off the training data (rather than
   *     read from a test file of its own, which need not name clients)
   * @throws IllegalArgumentException naming the file and line
   */
  public void requireEveryGroupTrains(TaskSplits splits, boolean testFromTrainingData) {
    Dataset[] all =
        testFromTrainingData
            ? new Dataset[] {splits.train(), splits.validation(), splits.test()}
            : new Dataset[] {splits.train(), splits.validation()};
    requireValueOnEvery(all);
    java.util.Set<String> training = new java.util.HashSet<>(groups(splits.train()));
    for (int s = 1; s < all.length; s++) {
      Dataset d = all[s];
      for (int i = 0; i < d.size(); i++) {
        String v = value(d.example(i));
        if (!training.contains(v)) {
          throw new IllegalArgumentException(
              d.location(i)
                  + ": "
                  + key.field()
                  + " \""
                  + v
                  + "\" has no example in the training split (the seeded split and any"
                  + " data.max_train cap left all of its examples out of it): give it more"
                  + " examples, or use data.split = \"none\" with a test file (data.test)");
        }
      }
    }
  }

  /** Every example of {@code sets} has a value, or the first without one is named. */
  private void requireValueOnEvery(Dataset... sets) {
    int missing = 0;
    int total = 0;
    String firstMissing = null;
    for (Dataset d : sets) {
      total += d.size();
      for (int i = 0; i < d.size(); i++) {
        if (value(d.example(i)) == null) {
          missing++;
          firstMissing = firstMissing == null ? d.location(i) : firstMissing;
        }
      }
    }
    if (missing > 0) {
      throw new IllegalArgumentException(
          firstMissing
              + ": a natural partition by "
              + key.field()
              + " needs a \""
              + key.field()
              + "\" value on every example; "
              + missing
              + " of "
              + total
              + " have none");
    }
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
