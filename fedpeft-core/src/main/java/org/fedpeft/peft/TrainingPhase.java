package org.fedpeft.peft;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One phase of a client's local training: which adapter tensors it trains, whether the head trains
 * with them, and its share of the round's local steps. The adapter sees the phase's name in every
 * forward pass ({@link org.fedpeft.model.HookContext#phase()}), so a phase can change the
 * computation (FedDPA-T's local phase mixes in the global adapter with its gradient stopped).
 *
 * @param name the phase's name, passed to the hooks
 * @param tensors the adapter tensors the optimiser updates in this phase (by name)
 * @param trainHead whether the head's tensors are trained too
 * @param stepShare the fraction of the round's local steps this phase takes, in (0, 1]; the phases'
 *     steps are rounded, at least one each
 */
public record TrainingPhase(String name, Set<String> tensors, boolean trainHead, double stepShare) {

  /** Validates and copies. */
  public TrainingPhase {
    Objects.requireNonNull(name, "name");
    tensors = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(tensors));
    if (!(stepShare > 0 && stepShare <= 1)) {
      throw new IllegalArgumentException(
          "phase " + name + ": stepShare must be in (0, 1], got " + stepShare);
    }
  }

  /**
   * Splits a round's local steps over phases in proportion to their shares (largest remainder), so
   * the phases' steps add up to exactly {@code roundSteps} and the privacy budget a client checks
   * before building anything covers them all. One phase takes every step.
   *
   * @throws IllegalArgumentException if there are fewer steps than phases
   */
  public static int[] splitSteps(java.util.List<TrainingPhase> phases, int roundSteps) {
    int n = phases.size();
    if (roundSteps < n) {
      throw new IllegalArgumentException(
          n + " training phases need at least " + n + " local steps, got " + roundSteps);
    }
    double total = 0;
    for (TrainingPhase p : phases) {
      total += p.stepShare();
    }
    int[] steps = new int[n];
    double[] rest = new double[n];
    int given = 0;
    for (int i = 0; i < n; i++) {
      double exact = roundSteps * phases.get(i).stepShare() / total;
      steps[i] = Math.max(1, (int) Math.floor(exact));
      rest[i] = exact - Math.floor(exact);
      given += steps[i];
    }
    while (given < roundSteps) {
      int best = 0;
      for (int i = 1; i < n; i++) {
        if (rest[i] > rest[best]) {
          best = i;
        }
      }
      steps[best]++;
      rest[best] = -1;
      given++;
    }
    while (given > roundSteps) { // only when the at-least-one rule overshot
      int largest = 0;
      for (int i = 1; i < n; i++) {
        if (steps[i] > steps[largest]) {
          largest = i;
        }
      }
      steps[largest]--;
      given--;
    }
    return steps;
  }
}
