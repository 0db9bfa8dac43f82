package org.fedpeft.data;

import java.util.Set;

/** A benchmark task that can be loaded as seeded splits; register new ones with {@link Tasks}. */
public interface Task {
  /** The registry name, e.g. {@code wordnet-noun-topic}. */
  String name();

  /** One line saying what the task is. */
  String description();

  /** The task-specific parameter names {@link TaskOptions#params()} may use. */
  Set<String> parameters();

  /**
   * Builds the splits. The same seed and options give the same splits on any machine.
   *
   * @throws IllegalArgumentException for an unknown or invalid parameter
   */
  TaskSplits load(long seed, TaskOptions options);
}
