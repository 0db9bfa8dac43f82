package org.fedpeft.bench;

import java.util.Set;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertWeights;

/**
 * Floating-point operations of the benchmarked computations, counted as {@code 2 * m * n * k} per
 * matrix product (linear layers, LoRA factors, attention scores and context, the head).
 * Element-wise work (GELU, softmax, LayerNorm, adds, the optimiser) is not counted: it is a few
 * percent of the total and memory-bound.
 *
 * <p>The backward pass of a frozen linear layer computes only the input gradient (one product of
 * the forward's size) and only when its input requires a gradient: in block 0 the input is the
 * embedding output, which does not, so block 0's query/key/value/LoRA-A products have no input
 * gradient, and the key projection of block 0 gets no gradient at all. LoRA factors get weight
 * gradients (dA, dB) and the gradient through B. Attention backward computes dQ, dK, dV and dP (one
 * product each of the forward's score or context size), skipping dK in block 0.
 */
final class Flops {

  private Flops() {}

  /** Forward FLOPs of the encoder (+ LoRA on {@code loraModules} when rank > 0). */
  static double forward(BertConfig c, long batch, long seq, int rank, Set<String> loraModules) {
    double t = (double) batch * seq;
    double h = c.hiddenSize();
    double f = c.intermediateSize();
    double attn = 2.0 * 2.0 * batch * c.numHeads() * seq * seq * c.headSize();
    double perLayer = 2 * t * (4 * h * h + 2 * h * f) + attn;
    double lora = 0;
    for (String m : loraModules) {
      double[] io = inOut(c, m);
      lora += 2 * t * io[0] * rank + 2 * t * rank * io[1];
    }
    return c.numLayers() * (perLayer + (rank > 0 ? lora : 0));
  }

  /** Forward + backward FLOPs of one training step of LoRA + head (see the class comment). */
  static double trainStep(
      BertConfig c, long batch, long seq, int rank, Set<String> loraModules, int labels) {
    double t = (double) batch * seq;
    double h = c.hiddenSize();
    double fwd = forward(c, batch, seq, rank, loraModules) + 2.0 * batch * h * labels;
    double attnOne = 2.0 * batch * c.numHeads() * seq * seq * c.headSize();
    double bwd = 2.0 * batch * h * labels; // head: d(pooled); dW is tiny
    for (int layer = 0; layer < c.numLayers(); layer++) {
      boolean inputGrad = layer > 0;
      for (String m : BertWeights.LINEAR_MODULES) {
        double[] io = inOut(c, m);
        boolean blockInput = m.startsWith("attention.self");
        if (!blockInput || inputGrad) {
          bwd += 2 * t * io[0] * io[1]; // dX of the frozen weight
        }
        if (loraModules.contains(m)) {
          bwd += 2 * t * io[1] * rank; // d(down) = dY B
          bwd += 2 * t * io[1] * rank; // dB = dY^T down
          bwd += 2 * t * io[0] * rank; // dA = d(down)^T x
          if (!blockInput || inputGrad) {
            bwd += 2 * t * rank * io[0]; // dX through A
          }
        }
      }
      boolean keyGrad = inputGrad || loraModules.contains("attention.self.key");
      bwd += attnOne * (keyGrad ? 4 : 3);
    }
    return fwd + bwd;
  }

  private static double[] inOut(BertConfig c, String module) {
    double h = c.hiddenSize();
    double f = c.intermediateSize();
    return switch (module) {
      case "intermediate.dense" -> new double[] {h, f};
      case "output.dense" -> new double[] {f, h};
      default -> new double[] {h, h};
    };
  }
}
