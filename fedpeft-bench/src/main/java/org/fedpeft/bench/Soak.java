package org.fedpeft.bench;

import java.util.Arrays;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;

/**
 * Repeatability check: trains a fresh model REPEATS times for STEPS steps on the same batches (LoRA
 * dropout 0.05, seeded) and reports steps whose loss differs from the first repeat or is not
 * finite. A deterministic engine gives identical losses every time. Usage: {@code Soak REPEATS
 * STEPS}
 */
public final class Soak {

  public static void main(String[] args) {
    BenchSupport.Args cli = BenchSupport.Args.of(args, 2, 2, "Soak REPEATS STEPS");
    int repeats = cli.count(0, "REPEATS", 0);
    int steps = cli.count(1, "STEPS", 0);
    PretrainedModel pm;
    try {
      pm = PretrainedModel.bundledMiniLm();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    EncodedExamples data = BenchSupport.examples(8, 2024);
    double[] first = null;
    int bad = 0;
    for (int r = 0; r < repeats; r++) {
      double[] losses = new double[steps];
      try (FedpeftTrainer ft = new FedpeftTrainer(pm, 0.05f)) {
        for (int s = 0; s < steps; s++) {
          try {
            losses[s] = ft.step(FedpeftTrainer.slice(data, s % 8))[1];
          } catch (IllegalStateException e) {
            losses[s] = Double.NaN;
            System.out.println("repeat " + r + " step " + s + ": " + e.getMessage());
            break;
          }
        }
      }
      if (first == null) {
        first = losses;
      } else {
        for (int s = 0; s < steps; s++) {
          if (Double.doubleToLongBits(losses[s]) != Double.doubleToLongBits(first[s])) {
            System.out.println(
                "repeat " + r + " step " + s + ": loss " + losses[s] + " vs " + first[s]);
            bad++;
            break;
          }
        }
      }
    }
    System.out.println(
        "soak: "
            + repeats
            + " repeats x "
            + steps
            + " steps, "
            + bad
            + " repeats differ; first "
            + Arrays.toString(Arrays.copyOf(first, Math.min(4, steps))));
  }
}
