package org.fedpeft.model;

/**
 * Progress of a batched forward pass over texts (embedding, evaluation, scoring), for a progress
 * bar. The loops that take one ({@link SentenceEmbedder#embed(java.util.List, int, BatchProgress)},
 * {@code EmbeddingRetrieval}, {@code ClassifierRetrieval}, {@code LocalTrainer.evaluate}) call it
 * after each batch; it changes nothing they compute.
 */
@FunctionalInterface
public interface BatchProgress {

  /** Progress that nobody watches. */
  BatchProgress NONE = (done, total) -> {};

  /**
   * After each batch.
   *
   * @param done texts done so far in this call, {@code total} after its last batch
   * @param total texts this call goes through in all (over all its passes, for a call that makes
   *     several)
   */
  void onBatch(int done, int total);
}
