package org.fedpeft.peft.topblocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.BertWeights;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Role;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/**
 * Top-k block fine-tuning on a tiny random BERT (2 blocks): the copies carry the base model's
 * names, and a model with changed copies computes what the base encoder computes with those weights
 * in place of its own.
 */
class TopBlocksAdapterTest {

  static float[] hidden(BertEncoder enc, TokenBatch batch, EncoderHooks hooks) {
    try (NDScope scope = new NDScope();
        NDManager m = enc.manager().newSubManager()) {
      scope.suppressNotUsedWarning();
      Shape s = new Shape(batch.batchSize(), batch.seqLen());
      return enc.forward(m.create(batch.ids(), s), m.create(batch.mask(), s), hooks, false)
          .toFloatArray();
    }
  }

  @Test
  void changedCopiesComputeTheEncoderWithThoseWeights() throws Exception {
    PretrainedModel pm = TinyModels.tiny(31);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter a = AdapterRegistry.get("top-blocks").create(Map.of("blocks", "1"), enc, 0)) {
      assertEquals(16, a.tensors().size());
      assertEquals(1, a.firstAdaptedLayer(), "block 0 stays on the frozen fast path");
      Map<String, HostTensor> changed = new LinkedHashMap<>(pm.weights().tensors());
      SplittableRandom rng = new SplittableRandom(4);
      for (AdapterTensor t : a.tensors()) {
        assertEquals(Role.GLOBAL, t.role());
        assertTrue(t.name().startsWith("encoder.layer.1."), t.name());
        HostTensor base = pm.weights().tensors().get(t.name());
        float[] d = base.data().clone();
        for (int i = 0; i < d.length; i++) {
          d[i] += (float) (rng.nextDouble() - 0.5) * 0.2f;
        }
        Adapter.Tensors.assign(t.array(), d);
        changed.put(t.name(), new HostTensor(base.shape(), d));
      }
      BertWeights w = new BertWeights(pm.weights().config(), changed, "changed");
      try (BertEncoder other = new BertEncoder(w, root)) {
        TokenBatch batch =
            tok.encodeBatch(List.of("a small animal", "a tool for cutting wood, often"));
        float[] adapted = hidden(enc, batch, a);
        float[] expected = hidden(other, batch, EncoderHooks.NONE);
        double max = 0;
        for (int i = 0; i < adapted.length; i++) {
          max = Math.max(max, Math.abs(adapted[i] - expected[i]));
        }
        assertTrue(max <= 1e-5, "max difference " + max);
        a.setEnabled(false);
        assertEquals(Integer.MAX_VALUE, a.firstAdaptedLayer());
        float[] base = hidden(enc, batch, EncoderHooks.NONE);
        assertTrue(java.util.Arrays.equals(base, hidden(enc, batch, a)), "disabled: base model");
      }
    }
  }

  @Test
  void blocksMustBeBetweenOneAndTheEncodersBlocks() throws Exception {
    PretrainedModel pm = TinyModels.tiny(31);
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> AdapterRegistry.get("top-blocks").create(Map.of("blocks", "3"), enc, 0));
      assertTrue(e.getMessage().contains("must be in [1, 2]"), e.getMessage());
      assertThrows(
          IllegalArgumentException.class,
          () -> AdapterRegistry.get("top-blocks").validate(Map.of("blocks", "0")));
      assertThrows(
          IllegalArgumentException.class,
          () -> AdapterRegistry.get("top-blocks").validate(Map.of("rank", "2")));
      try (Adapter both = AdapterRegistry.get("top-blocks").create(Map.of(), enc, 0)) {
        assertEquals(32, both.tensors().size(), "default: 2 blocks of 16 tensors");
        assertEquals(0, both.firstAdaptedLayer());
        assertEquals(Map.of("blocks", "2"), both.options());
      }
    }
  }
}
