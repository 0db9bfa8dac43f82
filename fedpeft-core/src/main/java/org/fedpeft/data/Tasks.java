package org.fedpeft.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.fedpeft.config.NearestKeys;

/**
 * The registry of benchmark tasks, filled through {@link ServiceLoader} with every {@link
 * TaskProvider} on the class path (see that interface for how to add a task).
 *
 * <p>Bundled (from {@link WordNetTasks}): {@value #NOUN_TOPIC}, {@value #VERB_TOPIC}, {@value
 * #POS}, {@value #SENSE_RETRIEVAL}, {@value #ADJECTIVE_TYPE}, {@value #DOMAIN_TOPIC} and {@value
 * #VERB_FRAME} (see each task's {@link Task#description()} and docs/data.md).
 *
 * <p>A task is named by a spec {@code name} or {@code name:key=value,...}, the pairs being task
 * parameters, e.g. {@code wordnet-sense-retrieval:documents=2000}. Several specs joined by {@code
 * +} load a multi-task dataset (see {@link #load(String, long, TaskOptions)}), e.g. {@code
 * wordnet-noun-topic+wordnet-pos+wordnet-domain-topic:minClassSize=50}.
 */
public final class Tasks {
  /** Noun definition to noun lexicographer file (25 classes). */
  public static final String NOUN_TOPIC = "wordnet-noun-topic";

  /** Verb definition to verb lexicographer file (15 classes). */
  public static final String VERB_TOPIC = "wordnet-verb-topic";

  /** Definition to part of speech (4 classes). */
  public static final String POS = "wordnet-pos";

  /** Query to synset document. */
  public static final String SENSE_RETRIEVAL = "wordnet-sense-retrieval";

  /** Adjective definition to adjective type (head, satellite, relational). */
  public static final String ADJECTIVE_TYPE = "wordnet-adjective-type";

  /** Definition to topic domain (law, music, ...; 15 classes by default). */
  public static final String DOMAIN_TOPIC = "wordnet-domain-topic";

  /** Verb definition to the kind of sentence frames the verb allows (transitivity). */
  public static final String VERB_FRAME = "wordnet-verb-frame";

  /** Joins task specs into a multi-task spec. */
  public static final String MULTI_SEPARATOR = "+";

  private static Map<String, Task> registry;

  private Tasks() {}

  private static Map<String, Task> registry() {
    synchronized (Tasks.class) {
      if (registry == null) {
        registry = discover(Tasks.class.getClassLoader());
      }
      return registry;
    }
  }

  /**
   * The tasks of every {@link TaskProvider} that {@link ServiceLoader} finds through {@code
   * loader}, by name, sorted.
   *
   * @throws IllegalStateException if a provider named in a services file cannot be loaded
   * @throws IllegalArgumentException if two tasks share a name or a name is malformed
   */
  static Map<String, Task> discover(ClassLoader loader) {
    try {
      return collect(ServiceLoader.load(TaskProvider.class, loader));
    } catch (ServiceConfigurationError e) {
      throw new IllegalStateException(
          "cannot load the task providers named in META-INF/services/"
              + TaskProvider.class.getName()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * The tasks of some providers by name, sorted.
   *
   * @throws IllegalArgumentException if two tasks share a name (naming both providers) or a name
   *     contains {@code :} or {@code +}
   */
  static Map<String, Task> collect(Iterable<? extends TaskProvider> providers) {
    Map<String, Task> tasks = new TreeMap<>();
    Map<String, String> providerOf = new HashMap<>();
    for (TaskProvider provider : providers) {
      String from = provider.getClass().getName();
      for (Task task : provider.tasks()) {
        String name = task.name();
        if (name == null || name.isBlank() || name.contains(":") || name.contains("+")) {
          throw new IllegalArgumentException(
              "task provider "
                  + from
                  + " offers a task named \""
                  + name
                  + "\"; a task name must"
                  + " be non-blank and contain neither ':' nor '+'");
        }
        String earlier = providerOf.putIfAbsent(name, from);
        if (earlier != null) {
          throw new IllegalArgumentException(
              "two tasks are named " + name + ": one from " + earlier + ", one from " + from);
        }
        tasks.put(name, task);
      }
    }
    return tasks;
  }

  /** The registered task names, sorted. */
  public static List<String> names() {
    return List.copyOf(registry().keySet());
  }

  /**
   * The task of a name.
   *
   * @throws IllegalArgumentException naming the known tasks if there is no such task
   */
  public static Task get(String name) {
    Map<String, Task> tasks = registry();
    Task task = tasks.get(name);
    if (task == null) {
      String near = NearestKeys.didYouMean(name, tasks.keySet(), "\"");
      throw new IllegalArgumentException(
          "unknown task \""
              + name
              + "\""
              + near
              + "; known tasks: "
              + String.join(", ", tasks.keySet()));
    }
    return task;
  }

  /**
   * The tasks a spec names, in spec order: one for {@code name:params}, several for a multi-task
   * spec.
   *
   * @throws IllegalArgumentException for an unknown task or a malformed spec
   */
  public static List<Task> tasksOf(String spec) {
    List<Task> tasks = new ArrayList<>();
    for (String part : parts(spec)) {
      tasks.add(get(nameOf(part)));
    }
    return tasks;
  }

  /**
   * Whether {@code spec} names bundled tasks ({@link #tasksOf} accepts it), rather than, say, the
   * name of a user's data file that an adapter folder records as its task.
   */
  public static boolean isBundled(String spec) {
    try {
      tasksOf(spec);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Whether {@code spec} names one bundled task that has a retrieval corpus ({@link
   * Task#hasCorpus}), without loading it; false for a multi-task spec (whose splits have no corpus)
   * and for anything not bundled.
   */
  public static boolean isRetrieval(String spec) {
    if (!isBundled(spec)) {
      return false;
    }
    List<Task> tasks = tasksOf(spec);
    return tasks.size() == 1 && tasks.get(0).hasCorpus();
  }

  /** Loads a task with the default options (80/10/10, no caps). */
  public static TaskSplits load(String spec, long seed) {
    return load(spec, seed, TaskOptions.defaults());
  }

  /**
   * Loads a task, or several as one multi-task dataset.
   *
   * <p>A single spec {@code name} or {@code name:key=value,...} loads that task; the pairs are
   * added to the options' parameters (overriding ones of the same name).
   *
   * <p>A multi-task spec, single specs joined by {@code +}, loads each task as above with the same
   * seed and options (so each task's splits equal the ones it has alone, caps applying per task),
   * then concatenates them split by split, in spec order. Each example carries its task's name as
   * {@link Example#task()} (so {@code natural:task} gives each client one task), the datasets'
   * vocabulary is the union of the tasks' labels, and {@link TaskSplits#taskLabels()} keeps each
   * task's own label list; {@link TaskSplits#taskView(String)} gives one task back. A multi-task
   * dataset has no retrieval corpus (the tasks' corpora are in their own splits). The same text may
   * occur in two tasks (for example, a noun definition in both {@value #NOUN_TOPIC} and {@value
   * #POS}); within each task no validation or test text is in train.
   *
   * @param spec a single or multi-task spec
   * @param seed the seed of every random choice (document choice, splits, caps)
   * @param options fractions, caps and parameters
   * @throws IllegalArgumentException for an unknown task (listing the known names) or parameter, a
   *     malformed spec, or a task named twice in a multi-task spec
   */
  public static TaskSplits load(String spec, long seed, TaskOptions options) {
    List<String> parts = parts(spec);
    if (parts.size() == 1) {
      return loadOne(parts.get(0), spec, seed, options);
    }
    Map<String, TaskSplits> loaded = new LinkedHashMap<>();
    for (String part : parts) {
      TaskSplits one = loadOne(part, spec, seed, options);
      if (loaded.putIfAbsent(one.task(), one) != null) {
        throw new IllegalArgumentException(
            "bad task spec \"" + spec + "\": task " + one.task() + " is named twice");
      }
    }
    String name = String.join(MULTI_SEPARATOR, parts);
    Map<String, List<String>> taskLabels = new LinkedHashMap<>();
    List<Dataset> train = new ArrayList<>();
    List<Dataset> validation = new ArrayList<>();
    List<Dataset> test = new ArrayList<>();
    for (TaskSplits s : loaded.values()) {
      taskLabels.put(s.task(), s.labels());
      train.add(tagged(s.train(), s.task()));
      validation.add(tagged(s.validation(), s.task()));
      test.add(tagged(s.test(), s.task()));
    }
    return new TaskSplits(
        name,
        Dataset.concat(name + "/train", train),
        Dataset.concat(name + "/validation", validation),
        Dataset.concat(name + "/test", test),
        null,
        taskLabels);
  }

  private static TaskSplits loadOne(String part, String spec, long seed, TaskOptions options) {
    TaskOptions opts = options;
    int colon = part.indexOf(':');
    if (colon >= 0) {
      for (String pair : splitPairs(part.substring(colon + 1), spec)) {
        int eq = pair.indexOf('=');
        opts = opts.withParam(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
    }
    return get(nameOf(part)).load(seed, opts);
  }

  /** The examples of a dataset with {@code task} as their task. */
  private static Dataset tagged(Dataset d, String task) {
    List<Example> out = new ArrayList<>(d.size());
    boolean same = true;
    for (Example e : d.examples()) {
      same &= task.equals(e.task());
      out.add(new Example(e.text(), e.label(), e.client(), task));
    }
    return same ? d : Dataset.of(d.name(), out, d.labels());
  }

  /**
   * The task an adapter folder records for {@code splits} loaded from {@code spec}: {@code spec}
   * itself when it is one task with parameters ({@code name:key=value,...}) and the splits are that
   * task, since {@link TaskSplits#task()} is then the bare name and loading it again would give the
   * task with its default parameters; otherwise {@code splits.task()} (a bare name, a multi-task
   * spec, which keeps its parameters, or the name of the user's file).
   *
   * @param spec the task spec the run was given, or null
   */
  public static String recordedSpec(TaskSplits splits, String spec) {
    if (spec != null
        && !spec.contains(MULTI_SEPARATOR)
        && spec.indexOf(':') >= 0
        && nameOf(spec).equals(splits.task())) {
      return spec.trim();
    }
    return splits.task();
  }

  private static List<String> parts(String spec) {
    List<String> parts = new ArrayList<>();
    for (String part : spec.split("\\+", -1)) {
      String p = part.trim();
      if (p.isEmpty() || nameOf(p).isEmpty()) {
        throw new IllegalArgumentException(
            "bad task spec \""
                + spec
                + "\": expected name, name:key=value,... or several joined by "
                + MULTI_SEPARATOR);
      }
      parts.add(p);
    }
    return parts;
  }

  private static String nameOf(String part) {
    int colon = part.indexOf(':');
    return (colon >= 0 ? part.substring(0, colon) : part).trim();
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
