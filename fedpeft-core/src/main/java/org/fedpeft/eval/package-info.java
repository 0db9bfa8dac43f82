/**
 * Measurements of a trained model beyond its own task: {@link org.fedpeft.eval.Retention}, how much
 * of the base encoder's general ability an adapted encoder keeps (measured the same way for every
 * method); and, from a run's metrics lines, {@link org.fedpeft.eval.Convergence}, the rounds a run
 * took to reach a target accuracy.
 */
package org.fedpeft.eval;
