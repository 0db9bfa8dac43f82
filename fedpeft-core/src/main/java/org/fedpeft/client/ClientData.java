package org.fedpeft.client;

import org.fedpeft.io.Sha256;
import org.fedpeft.model.EncodedExamples;

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

  /**
   * A digest of the client's examples (training and held out: tokens, labels and tasks, in order),
   * 16 hex digits: equal for two processes that built the same share, so a server can tell a client
   * whose config gives it other data.
   */
  public String digest() {
    java.security.MessageDigest md = Sha256.newDigest();
    train.digestInto(md);
    holdout.digestInto(md);
    return java.util.HexFormat.of().formatHex(md.digest(), 0, 8);
  }
}
