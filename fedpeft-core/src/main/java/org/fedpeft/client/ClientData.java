package org.fedpeft.client;

import org.fedpeft.train.EncodedExamples;

/**
 * One simulated client's data: its local training examples and the part held out for evaluating
 * models on its own distribution.
 *
 * @param id the client id
 * @param index position in the population
 * @param train local training examples
 * @param holdout local held-out examples (may be empty)
 */
public record ClientData(String id, int index, EncodedExamples train, EncodedExamples holdout) {}
