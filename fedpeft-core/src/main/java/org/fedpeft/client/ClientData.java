package org.fedpeft.client;

import org.fedpeft.train.EncodedExamples;

/**
 * One client's data: its local training examples, the part held out for evaluating models on its
 * own distribution and, in a multi-task federation, the examples of every task it may be asked
 * about at test time.
 *
 * @param id the client id
 * @param index position in the population
 * @param train local training examples
 * @param holdout local held-out examples (may be empty)
 * @param everyTask test examples of every task of a multi-task federation, on which the client
 *     reports its personalised model's accuracy per task (P and TTP); null otherwise
 * @param documents on a retrieval task, the corpus (example {@code i} is the document of label
 *     {@code i}), which the contrastive objective trains and evaluates against; null otherwise
 */
public record ClientData(
    String id,
    int index,
    EncodedExamples train,
    EncodedExamples holdout,
    EncodedExamples everyTask,
    EncodedExamples documents) {

  /** A client of a single-task run. */
  public ClientData(String id, int index, EncodedExamples train, EncodedExamples holdout) {
    this(id, index, train, holdout, null, null);
  }

  /** A client without a retrieval corpus. */
  public ClientData(
      String id,
      int index,
      EncodedExamples train,
      EncodedExamples holdout,
      EncodedExamples everyTask) {
    this(id, index, train, holdout, everyTask, null);
  }
}
