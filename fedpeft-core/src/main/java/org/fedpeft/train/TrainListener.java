package org.fedpeft.train;

/** Receives progress of local training (for progress bars and metrics files). */
@FunctionalInterface
public interface TrainListener {

  /** A listener that ignores everything. */
  TrainListener NONE = (step, totalSteps, loss, accuracy, learningRate) -> {};

  /**
   * After each optimiser step.
   *
   * @param step 1-based step number
   * @param totalSteps steps in this run
   * @param loss mean loss of the step's batch
   * @param accuracy accuracy of the step's batch
   * @param learningRate the rate used
   */
  void onStep(int step, int totalSteps, float loss, float accuracy, float learningRate);
}
