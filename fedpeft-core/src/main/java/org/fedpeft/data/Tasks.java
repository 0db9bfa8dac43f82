package org.fedpeft.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The registry of benchmark tasks.
 *
 * <p>Built in: {@code wordnet-noun-topic}, {@code wordnet-verb-topic}, {@code wordnet-pos} and
 * {@code wordnet-sense-retrieval} (see the package description and each task's {@link
 * Task#description()}). A task is named by a spec {@code name} or {@code name:key=value,...}, the
 * pairs being task parameters, e.g. {@code wordnet-sense-retrieval:documents=2000}.
 */
public final class Tasks {
  /** Noun definition to noun lexicographer file (25 classes). */
  public static final String NOUN_TOPIC = "wordnet-noun-topic";

  /** Verb definition to verb lexicographer file (15 classes). */
  public static final String VERB_TOPIC = "wordnet-verb-topic";

  /** Definition to part of speech (4 classes). */
  public static final String POS = WordNetPosTask.NAME;

  /** Query to synset document. */
  public static final String SENSE_RETRIEVAL = SenseRetrievalTask.NAME;

  private static final Map<String, Task> REGISTRY = new TreeMap<>();

  static {
    register(new WordNetTopicTask(NOUN_TOPIC, PartOfSpeech.NOUN));
    register(new WordNetTopicTask(VERB_TOPIC, PartOfSpeech.VERB));
    register(new WordNetPosTask());
    register(new SenseRetrievalTask());
  }

  private Tasks() {}

  /** Adds a task; its name must be new. */
  public static void register(Task task) {
    synchronized (REGISTRY) {
      if (REGISTRY.putIfAbsent(task.name(), task) != null) {
        throw new IllegalArgumentException(
            "a task named " + task.name() + " is already registered");
      }
    }
  }

  /** The registered task names, sorted. */
  public static List<String> names() {
    synchronized (REGISTRY) {
      return List.copyOf(REGISTRY.keySet());
    }
  }

  /**
   * The task of a name.
   *
   * @throws IllegalArgumentException naming the known tasks if there is no such task
   */
  public static Task get(String name) {
    synchronized (REGISTRY) {
      Task task = REGISTRY.get(name);
      if (task == null) {
        throw new IllegalArgumentException(
            "unknown task \"" + name + "\"; known tasks: " + String.join(", ", REGISTRY.keySet()));
      }
      return task;
    }
  }

  /** Loads a task with the default options (80/10/10, no caps). */
  public static TaskSplits load(String spec, long seed) {
    return load(spec, seed, TaskOptions.defaults());
  }

  /**
   * Loads a task.
   *
   * @param spec {@code name} or {@code name:key=value,...}; the pairs are added to the options'
   *     parameters (overriding ones of the same name)
   * @param seed the seed of every random choice (document choice, splits, caps)
   * @param options fractions, caps and parameters
   * @throws IllegalArgumentException for an unknown task (listing the known names) or parameter
   */
  public static TaskSplits load(String spec, long seed, TaskOptions options) {
    String name = spec.trim();
    TaskOptions opts = options;
    int colon = name.indexOf(':');
    if (colon >= 0) {
      for (String pair : splitPairs(name.substring(colon + 1), spec)) {
        int eq = pair.indexOf('=');
        opts = opts.withParam(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
      name = name.substring(0, colon).trim();
    }
    return get(name).load(seed, opts);
  }

  private static List<String> splitPairs(String args, String spec) {
    List<String> pairs = new ArrayList<>();
    if (args.isBlank()) {
      return pairs;
    }
    for (String pair : args.split(",", -1)) {
      int eq = pair.indexOf('=');
      if (eq <= 0 || pair.substring(0, eq).isBlank()) {
        throw new IllegalArgumentException(
            "bad task spec \"" + spec + "\": expected name:key=value,..., got \"" + pair + "\"");
      }
      pairs.add(pair);
    }
    return pairs;
  }
}
