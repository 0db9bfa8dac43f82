package org.fedpeft.peft;

import org.fedpeft.model.EncodedExamples;

/**
 * What a client offers its adapter in {@link Adapter#personalise}: its own training data, a seed,
 * and a way to train some of the adapter's tensors with the client's local settings. Provided by
 * {@link org.fedpeft.client.PeftClient}.
 */
public interface ClientContext {

  /** The client's own training examples. */
  EncodedExamples trainingData();

  /**
   * A seed for the call's random choices, derived from the client's seed for the round the
   * instructions name, so a resumed run makes the same choices.
   */
  long seed();

  /** The client's mini-batch size (the most examples a training step uses). */
  int batchSize();

  /**
   * Trains the phase's tensors for {@code steps} optimiser steps on the client's training data,
   * with the client's optimiser settings (AdamW, learning rate, weight decay, clipping), its
   * batches drawn from {@link #seed()}; the hooks see the phase's name.
   *
   * @return the mean training loss
   * @throws UnsupportedOperationException where the client cannot train outside a round (under
   *     sample-level DP, whose accountant covers only the rounds' steps)
   */
  double train(TrainingPhase phase, int steps);
}
