package org.fedpeft.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.tensor.HostTensor;

/**
 * Randomly initialised BERT weights of any shape, from a seed: tiny models for tests (of this
 * module and of fedpeft-cli) that need no download. LayerNorm weights are near 1 (uniform in 1 +/-
 * 0.05), biases small (uniform in +/- 0.01), matrices uniform with the standard deviation of N(0,
 * 0.02^2), so activations stay in a realistic range.
 */
public final class RandomBert {
  private RandomBert() {}

  /** Weights for {@code config}, reproducible from {@code seed}. */
  public static BertWeights weights(BertConfig config, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (var e : BertWeights.expectedShapes(config).entrySet()) {
      String name = e.getKey();
      HostTensor t = HostTensor.zeros(e.getValue());
      float[] d = t.data();
      boolean lnWeight = name.contains("LayerNorm.weight");
      for (int i = 0; i < d.length; i++) {
        if (lnWeight) {
          d[i] = 1f + (float) ((rng.nextDouble() - 0.5) * 0.1);
        } else if (name.endsWith(".bias")) {
          d[i] = (float) ((rng.nextDouble() - 0.5) * 0.02);
        } else {
          d[i] = (float) ((rng.nextDouble() - 0.5) * 0.07); // std ~0.02
        }
      }
      m.put(name, t);
    }
    return new BertWeights(config, m, "random(seed=" + seed + ")");
  }

  /** A tiny model with the bundled tokenizer's vocabulary: 2 layers, hidden 32, 4 heads, FFN 64. */
  public static PretrainedModel tiny(byte[] tokenizerJson, int vocabSize, long seed) {
    BertConfig c = new BertConfig(vocabSize, 32, 2, 4, 64, 512, 2, 1e-12f);
    return new PretrainedModel("tiny-random-bert", weights(c, seed), tokenizerJson, 64);
  }
}
