package org.fedpeft.train;

import org.fedpeft.model.EncodedExamples;

/**
 * Receives the logits of one example of a forward pass in evaluation mode ({@link
 * LocalTrainer#evaluate(EncodedExamples, int, org.fedpeft.model.BatchProgress, LogitsConsumer)},
 * {@link LocalTrainer#logits}, which {@code ClassifierRetrieval.forEachLogits} runs), e.g. to rank
 * a retrieval corpus's documents by them.
 */
@FunctionalInterface
public interface LogitsConsumer {
  /**
   * @param example index of the example in the encoded examples
   * @param logits one score per label, in label order; the consumer may keep the array
   */
  void accept(int example, float[] logits);
}
