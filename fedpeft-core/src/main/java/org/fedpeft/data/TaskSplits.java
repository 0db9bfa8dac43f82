package org.fedpeft.data;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The splits of a loaded task. All splits share one label vocabulary, so a class index means the
 * same thing in each; no text of the test (or validation) split appears in train.
 *
 * @param task the task name
 * @param train the training split
 * @param validation the validation split (may be empty)
 * @param test the test split
 * @param corpus for retrieval tasks, the document collection: example {@code i} is the document
 *     with label index {@code i} (its text is what a nearest-neighbour baseline embeds); null for
 *     classification tasks
 */
public record TaskSplits(
    String task, Dataset train, Dataset validation, Dataset test, Dataset corpus) {

  /** Checks that the splits share one vocabulary and that a corpus is aligned with it. */
  public TaskSplits {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(validation, "validation");
    Objects.requireNonNull(test, "test");
    if (!train.labels().equals(validation.labels()) || !train.labels().equals(test.labels())) {
      throw new IllegalArgumentException("splits of " + task + " must share one label vocabulary");
    }
    if (corpus != null) {
      if (!corpus.labels().equals(train.labels()) || corpus.size() != corpus.numLabels()) {
        throw new IllegalArgumentException(
            "the corpus of " + task + " must hold one document per label");
      }
      for (int i = 0; i < corpus.size(); i++) {
        if (corpus.labelIndex(i) != i) {
          throw new IllegalArgumentException(
              "corpus document " + i + " of " + task + " is not in label order");
        }
      }
    }
  }

  /** The shared label vocabulary. */
  public List<String> labels() {
    return train.labels();
  }

  /** The retrieval corpus, for retrieval tasks. */
  public Optional<Dataset> retrievalCorpus() {
    return Optional.ofNullable(corpus);
  }
}
