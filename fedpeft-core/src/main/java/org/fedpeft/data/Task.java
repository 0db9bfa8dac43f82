package org.fedpeft.data;

import java.util.Optional;
import java.util.Set;

/**
 * A benchmark task that can be loaded as seeded splits. Tasks reach {@link Tasks} through a {@link
 * TaskProvider}.
 */
public interface Task {
  /**
   * The registry name, e.g. {@code wordnet-noun-topic}; it must not contain {@code :} or {@code +}.
   */
  String name();

  /** One line saying what the task is. */
  String description();

  /** The task-specific parameter names {@link TaskOptions#params()} may use. */
  Set<String> parameters();

  /**
   * Builds the splits. The same seed and options give the same splits on any machine. Every example
   * should carry this task's name as its {@link Example#task()}.
   *
   * @throws IllegalArgumentException for an unknown or invalid parameter
   */
  TaskSplits load(long seed, TaskOptions options);

  /**
   * Whether the task's splits have a retrieval corpus ({@link TaskSplits#corpus()}): its labels are
   * the documents' ids, which a classifier-as-retriever head scores. False by default.
   */
  default boolean hasCorpus() {
    return false;
  }

  /**
   * A licence or copyright notice that must travel with any file derived from this task's data
   * (written next to exported splits), if there is one. None by default.
   */
  default Optional<String> notice() {
    return Optional.empty();
  }
}
