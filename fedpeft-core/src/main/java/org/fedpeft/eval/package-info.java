/**
 * Measurements of a trained model beyond its own task: {@link org.fedpeft.eval.Retention}, how much
 * of the base encoder's general ability an adapted encoder keeps (issue 12, measured the same way
 * for every method).
 */
package org.fedpeft.eval;
