package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.junit.jupiter.api.Test;

/**
 * A LoRA training step's gradients with a bfloat16 frozen base against the float32 base's, on the
 * bundled MiniLM (LoRA on every linear module, dropout off, a padded batch): the same loss and
 * gradients up to bfloat16 rounding, and gradients only in the adapter's and head's tensors.
 */
class Bf16GradientTest {

  static final List<String> TEXTS =
      List.of(
          "a small domesticated carnivorous mammal with soft fur",
          "a hand tool with a heavy head for driving nails",
          "to move quickly on foot",
          "federated learning keeps data on the client while adapters travel",
          "x");
  static final long[] LABELS = {0, 1, 2, 1, 0};

  record Step(double loss, Map<String, float[]> grads, List<String> frozenWithGradient) {}

  /**
   * One forward and backward pass of the same LoRA and head (same seed, same perturbed values) on
   * an encoder in {@code precision}.
   */
  static Step step(PretrainedModel pm, TokenBatch batch, Precision precision) {
    Engine engine = Engines.pytorch();
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root, precision);
        Adapter lora =
            AdapterRegistry.get("lora")
                .create(
                    Map.of("rank", "4", "alpha", "8", "dropout", "0", "targets", "all-linear"),
                    enc,
                    3);
        ClassificationHead head = new ClassificationHead(root, 384, 3, 4)) {
      // LoRA's B starts at zero, which would leave A without gradient: give every adapter tensor
      // the same small random values in both precisions.
      SplittableRandom rng = new SplittableRandom(11);
      for (AdapterTensor t : lora.tensors()) {
        float[] v = new float[(int) t.array().size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (rng.nextDouble() - 0.5) * 0.1f;
        }
        Adapter.Tensors.assign(t.array(), v);
      }
      ClassifierModel model = new ClassifierModel(enc, lora, head);
      Map<String, float[]> grads = new LinkedHashMap<>();
      List<String> frozenWithGradient = new ArrayList<>();
      double loss;
      try (NDScope scope = new NDScope();
          NDManager m = root.newSubManager()) {
        scope.suppressNotUsedWarning();
        Shape s = new Shape(batch.batchSize(), batch.seqLen());
        try (GradientCollector gc = engine.newGradientCollector()) {
          NDArray logits = model.logits(m.create(batch.ids(), s), m.create(batch.mask(), s), true);
          NDArray l = LocalTrainer.crossEntropy(logits, m.create(LABELS));
          loss = l.getFloat();
          gc.backward(l);
        }
        for (AdapterTensor t : model.trainableTensors()) {
          grads.put(t.name(), t.array().getGradient().toFloatArray());
        }
        for (String name : pm.weights().tensors().keySet()) {
          if (!enc.bf16TensorNames().contains(name) && enc.weight(name).hasGradient()) {
            frozenWithGradient.add(name);
          }
        }
      }
      return new Step(loss, grads, frozenWithGradient);
    }
  }

  /**
   * Tolerance: each frozen product rounds its input and its output to bfloat16 (8 significant bits,
   * relative error at most 2^-9 = 0.2 % per value), in the forward pass and, for the input
   * gradient, in the backward pass; these errors are independent across values and partly cancel in
   * each sum, but compound over the 6 blocks. A bfloat16 step therefore gives each tensor's
   * gradient to about 1 % (measured on an AMD EPYC Zen 5, family 26: relative L2 difference 1.0 %
   * median, 1.8 % worst of the 74 tensors, cosine >= 0.99984; loss 4.5e-5 relative), not to
   * float32's 1e-6. Bounds: relative L2 difference (||g_bf16 - g_fp32|| / ||g_fp32||) at most 5 %
   * per tensor and cosine similarity at least 0.998, loss within 0.5 %; a wrong gradient (a product
   * missing from the backward pass, a wrong slot) is off by far more.
   */
  @Test
  void bf16GradientsAreFloat32sUpToBfloat16RoundingAndOnlyInTrainableTensors() throws Exception {
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    TokenBatch batch;
    try (TextTokenizer tok = pm.newTokenizer()) {
      batch = tok.encodeBatch(TEXTS);
    }
    Step fp32 = step(pm, batch, Precision.FP32);
    Step bf16 = step(pm, batch, Precision.BF16);

    assertTrue(
        Math.abs(bf16.loss() - fp32.loss()) <= 5e-3 * fp32.loss(),
        "loss " + bf16.loss() + " vs " + fp32.loss());
    assertEquals(fp32.grads().keySet(), bf16.grads().keySet());
    // LoRA A and B of 6 x 6 modules, and the head's weight and bias.
    assertEquals(6 * 6 * 2 + 2, bf16.grads().size());
    double worstRel = 0;
    double worstCos = 1;
    List<Double> rels = new ArrayList<>();
    for (var e : fp32.grads().entrySet()) {
      float[] a = e.getValue();
      float[] b = bf16.grads().get(e.getKey());
      double diff = 0;
      double norm = 0;
      double normB = 0;
      double dot = 0;
      for (int i = 0; i < a.length; i++) {
        diff += (double) (b[i] - a[i]) * (b[i] - a[i]);
        norm += (double) a[i] * a[i];
        normB += (double) b[i] * b[i];
        dot += (double) a[i] * b[i];
      }
      assertTrue(norm > 0, e.getKey() + " has no gradient in fp32");
      double rel = Math.sqrt(diff / norm);
      double cos = dot / Math.sqrt(norm * normB);
      worstRel = Math.max(worstRel, rel);
      rels.add(rel);
      worstCos = Math.min(worstCos, cos);
      assertTrue(rel <= 0.05, e.getKey() + ": relative L2 difference " + rel);
      assertTrue(cos >= 0.998, e.getKey() + ": cosine " + cos);
    }
    System.out.println(
        "bf16 vs fp32 LoRA step: loss "
            + bf16.loss()
            + " vs "
            + fp32.loss()
            + ", relative L2 gradient difference median "
            + rels.stream().sorted().toList().get(rels.size() / 2)
            + ", worst "
            + worstRel
            + ", worst cosine "
            + worstCos);
    assertTrue(fp32.frozenWithGradient().isEmpty(), fp32.frozenWithGradient().toString());
    assertTrue(bf16.frozenWithGradient().isEmpty(), bf16.frozenWithGradient().toString());
    assertFalse(bf16.grads().isEmpty());
  }
}
