package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.junit.jupiter.api.Test;

/**
 * Regression test for the NaN bug of session 1: DJL's {@code NDArray.mul(Number)} wraps the number
 * in a temporary tensor over a Java direct buffer and closes it at once, while autograd keeps that
 * tensor for the backward pass. A garbage collection between forward and backward then frees the
 * buffer, and the backward reads whatever reuses the memory. Here the collection is forced at that
 * moment and the freed memory is overwritten with NaN bit patterns; the gradients must be exactly
 * those of an undisturbed pass. With a Java number back in the autograd path (e.g. the query scale)
 * this test fails with non-finite gradients.
 */
class GcBetweenForwardAndBackwardTest {

  @Test
  void gradientsSurviveACollectionBeforeBackward() throws Exception {
    Engine engine = Engines.pytorch();
    PretrainedModel pm = TinyModels.tiny(7);
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora =
            AdapterRegistry.get("lora")
                .create(Map.of("rank", "4", "alpha", "8", "dropout", "0"), enc, 3);
        ClassificationHead head = new ClassificationHead(root, 32, 3, 5)) {
      ClassifierModel model = new ClassifierModel(enc, lora, head);
      // B = 0 at init would make the LoRA path's gradient independent of the scaling: start from
      // a non-zero B so every saved scalar matters.
      Map<String, org.fedpeft.tensor.HostTensor> state = new LinkedHashMap<>(model.state());
      for (var e : state.entrySet()) {
        float[] d = e.getValue().data().clone();
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) Math.sin(1.7 * i + e.getKey().length());
        }
        e.setValue(new org.fedpeft.tensor.HostTensor(e.getValue().shape(), d));
      }
      model.loadState(state);
      EncodedExamples data =
          EncodedExamples.encode(
              tok,
              List.of("red apple pie", "green pear", "blue sky at noon", "grey cloud"),
              new int[] {0, 1, 2, 1});
      Map<String, float[]> quiet = gradients(engine, model, data, false);
      for (int run = 0; run < 3; run++) {
        Map<String, float[]> disturbed = gradients(engine, model, data, true);
        for (var e : quiet.entrySet()) {
          float[] g = disturbed.get(e.getKey());
          for (float f : g) {
            assertTrue(Float.isFinite(f), "non-finite gradient of " + e.getKey());
          }
          assertArrayEquals(e.getValue(), g, 0f, e.getKey());
        }
      }
    }
  }

  private static Map<String, float[]> gradients(
      Engine engine, ClassifierModel model, EncodedExamples data, boolean collect) {
    List<AdapterTensor> params = model.trainableTensors();
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDManager step = model.encoder().manager().newSubManager()) {
      TokenBatch batch = data.batch(new int[] {0, 1, 2, 3});
      Shape shape = new Shape(batch.batchSize(), batch.seqLen());
      NDArray ids = step.create(batch.ids(), shape);
      NDArray mask = step.create(batch.mask(), shape);
      NDArray labels = step.create(data.labelsOf(new int[] {0, 1, 2, 3}));
      try (GradientCollector gc = engine.newGradientCollector()) {
        NDArray loss = LocalTrainer.crossEntropy(model.logits(ids, mask, false), labels);
        if (collect) {
          collectAndPoisonFreedMemory();
        }
        gc.backward(loss);
      }
      for (AdapterTensor p : params) {
        out.put(p.name(), p.array().getGradient().toFloatArray());
        p.array().getGradient().subi(p.array().getGradient());
      }
    }
    return out;
  }

  /** Frees unreachable direct buffers and fills newly allocated ones with 0xFF (NaN patterns). */
  private static void collectAndPoisonFreedMemory() {
    List<ByteBuffer> keep = new ArrayList<>();
    for (int round = 0; round < 4; round++) {
      System.gc();
      try {
        Thread.sleep(20); // the Cleaner thread frees the buffers after the collection
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      for (int j = 0; j < 64; j++) {
        ByteBuffer b = ByteBuffer.allocateDirect(64 + 16 * j);
        while (b.hasRemaining()) {
          b.put((byte) 0xFF);
        }
        keep.add(b);
      }
    }
    keep.clear();
  }
}
