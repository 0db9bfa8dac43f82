package org.fedpeft.train;

/**
 * Loss and accuracy on a set of examples.
 *
 * @param loss mean cross-entropy
 * @param accuracy fraction classified correctly
 * @param examples number of examples
 */
public record Evaluation(double loss, double accuracy, int examples) {}
