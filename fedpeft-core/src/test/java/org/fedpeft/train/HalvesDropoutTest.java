package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.fedpeft.engine.Engines;
import org.fedpeft.engine.SideBySide;
import org.fedpeft.engine.ThreadSettingsRestored;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Dropout;
import org.fedpeft.random.StepRandom;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A training step run as two halves of rows ({@link SideBySide}) draws, in every half, exactly the
 * whole batch's dropout masks of its examples and tokens, for batches of 2, 3 (odd: halves of 2 and
 * 1), 5 and 6 rows, halves padded shorter than the batch, every dropout call of a step (query and
 * value of both blocks, the two LoRA members of FedDPA), over several steps with an evaluation
 * between them (lora, feddpa); the halves train the model the whole batch trains, up to float
 * rounding, over 4 steps, for every method with LoRA-style dropout that trains in halves (lora,
 * feddpa, fedsa-lora, ravan, fed-sb); a half that fails leaves no step behind on its thread. The
 * first two fail when a half is given the wrong first row of the batch.
 */
@ExtendWith(ThreadSettingsRestored.class)
class HalvesDropoutTest {

  /**
   * Token counts all different (so that a row's count of real tokens names its example), and far
   * apart, so that one half is often padded shorter than the whole batch.
   */
  private static final List<String> TEXTS =
      List.of(
          "blue sky",
          "green pear and a fig on the long wooden table by the open window",
          "dog",
          "grey cloud today",
          "the cat sat on the mat",
          "a red apple fell from the tall tree in the garden");

  private static final int[] LABELS = {0, 0, 1, 1, 0, 1};

  @Test
  void everyHalfDrawsItsRowsOfTheWholeBatchsMasks() throws Exception {
    for (String method : List.of("lora", "feddpa")) {
      // {batch, steps}: no batch holds an example twice (6 examples: a batch of 5 in a second
      // step would), as the probe names a row by its example.
      for (int[] run : new int[][] {{2, 3}, {3, 4}, {5, 1}, {6, 2}}) {
        int batch = run[0];
        Probe whole = new Probe();
        train(1, method, batch, run[1], whole);
        Probe halves = new Probe();
        train(2, method, batch, run[1], halves);
        String what = method + ", batch " + batch;
        assertFalse(halves.masks.isEmpty(), what);
        assertTrue(halves.parts > 0, what + ": ran in halves");
        assertEquals(0, whole.parts, what + ": ran whole");
        // Every (call, row, token) a half ran has the whole batch's mask row, bit for bit; the
        // whole batch's tokens beyond a half's padded length are the only ones the halves lack.
        int compared = 0;
        for (var e : halves.masks.entrySet()) {
          float[] w = whole.masks.get(e.getKey());
          assertNotNull(w, what + ": " + e.getKey() + " has no whole-batch mask");
          assertArrayEquals(w, e.getValue(), 0f, what + ": " + e.getKey());
          compared++;
        }
        assertTrue(compared >= halves.masks.size(), what);
        // The same dropout calls (generator positions) in both runs: halves skip as the whole.
        assertEquals(whole.calls(), halves.calls(), what + ": the same calls");
      }
    }
  }

  @Test
  void halvesTrainTheWholeBatchsModelForEveryMethodWithDropout() throws Exception {
    for (String method : List.of("lora", "feddpa", "fedsa-lora", "ravan", "fed-sb")) {
      for (int batch : new int[] {2, 3}) {
        Map<String, HostTensor> whole = train(1, method, batch, 4, null);
        Map<String, HostTensor> halves = train(2, method, batch, 4, null);
        BatchHalvesTest.assertSameUpToRounding(whole, halves, method + ", batch " + batch + ": ");
      }
    }
  }

  @Test
  void aHalfThatFailsLeavesNoStepOnItsThread() throws Exception {
    Engines.pytorch();
    Engines.intraOpThreads(2);
    Map<Thread, Boolean> threads = new ConcurrentHashMap<>();
    RuntimeException e =
        assertThrows(
            RuntimeException.class,
            () ->
                SideBySide.run(
                    k -> {
                      threads.put(Thread.currentThread(), true);
                      StepRandom.beginPart(5, new StepRandom.Part(k, 2, 4));
                      try {
                        if (k == 1) {
                          throw new IllegalStateException("half 1 fails");
                        }
                        return k;
                      } finally {
                        StepRandom.end();
                      }
                    }));
    assertEquals("half 1 fails", e.getMessage());
    // The pool's threads, reused: none has a step (Dropout outside a step is refused there).
    for (int attempt = 0; attempt < 3; attempt++) {
      SideBySide.Results<String> r =
          SideBySide.run(
              k -> {
                try {
                  return "step " + StepRandom.part();
                } catch (IllegalStateException none) {
                  return "none";
                }
              });
      assertEquals("none", r.first());
      assertEquals("none", r.second());
    }
  }

  /**
   * Trains {@code method} with dropout 0.3 for {@code steps} steps of {@code batch} examples with
   * {@code threads} intra-op threads; {@code probe} (or null) records the masks.
   */
  private static Map<String, HostTensor> train(
      int threads, String method, int batch, int steps, Probe probe) throws Exception {
    PretrainedModel pm = TinyModels.tiny(9);
    Engine engine = Engines.pytorch();
    Engines.gradModeOffOnThisThread();
    Engines.intraOpThreads(threads);
    Map<String, String> options = new TreeMap<>();
    options.put("rank", "4");
    options.put("dropout", "0.3");
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter inner = AdapterRegistry.get(method).create(options, enc, 1);
        Adapter adapter = probe == null ? inner : probe.around(inner);
        ClassificationHead head = new ClassificationHead(root, 32, 2, 2);
        AdamW opt = new AdamW(root)) {
      // B (and FedDPA's local B) not zero, so that the dropped inputs change the model.
      for (AdapterTensor t : adapter.tensors()) {
        if (t.name().contains("lora_B")) {
          float[] v = new float[(int) t.array().size()];
          java.util.Arrays.fill(v, 0.05f);
          Adapter.Tensors.assign(t.array(), v);
        }
      }
      EncodedExamples data = EncodedExamples.encode(tok, TEXTS, LABELS);
      assertEquals(
          TEXTS.size(),
          java.util.Arrays.stream(data.tokens()).mapToInt(t -> t.length).distinct().count(),
          "every text of its own length");
      ClassifierModel model = new ClassifierModel(enc, adapter, head);
      TrainConfig cfg =
          new TrainConfig(steps, batch, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 1f, 100);
      LocalTrainer trainer = new LocalTrainer(model);
      // With the probe, an evaluation (whole batches, no dropout) between steps, as train's
      // periodic evaluation runs: the next step's halves draw as before.
      TrainListener between =
          probe == null
              ? TrainListener.NONE
              : (step, total, loss, accuracy, lr) -> trainer.evaluate(data, 64);
      trainer.train(data, cfg, opt, between);
      return model.state();
    }
  }

  /**
   * Records, before each linear hook of a training step, the mask {@link Dropout} gives an array of
   * ones of the hook input's shape, by example and token: key "position of the generator before the
   * call / example (its count of real tokens) / token".
   */
  private static final class Probe {
    final Map<String, float[]> masks = new ConcurrentHashMap<>();
    volatile int parts;

    java.util.Set<String> calls() {
      java.util.Set<String> s = new java.util.TreeSet<>();
      for (String k : masks.keySet()) {
        s.add(k.substring(0, k.indexOf('/')));
      }
      return s;
    }

    void record(NDArray input, HookContext ctx) {
      if (!ctx.isTraining()) {
        return;
      }
      long position = StepRandom.current().peek(0);
      if (StepRandom.part() != null) {
        parts++;
      }
      // Each row's real tokens (0 in the attention mask's bias, padding below it; no bias: no
      // padding): its example.
      NDArray maskBias = ctx.value(HookContext.ATTENTION_MASK_BIAS);
      float[] bias = maskBias == null ? new float[(int) input.size()] : maskBias.toFloatArray();
      NDArray ones = input.getManager().ones(input.getShape());
      float[] m = Dropout.apply(ones, 0.5f).toFloatArray();
      long rows = input.getShape().get(0);
      long tokens = input.getShape().get(1);
      int features = (int) input.getShape().get(2);
      for (int r = 0; r < rows; r++) {
        int real = 0;
        for (int t = 0; t < tokens; t++) {
          real += bias[(int) (r * tokens + t)] == 0f ? 1 : 0;
        }
        for (int t = 0; t < tokens; t++) {
          float[] row = new float[features];
          System.arraycopy(m, (int) ((r * tokens + t) * features), row, 0, features);
          masks.put(position + "/example of " + real + " tokens/" + t, row);
        }
      }
    }

    Adapter around(Adapter inner) {
      return new ObservedAdapter(inner) {
        @Override
        void observe(NDArray input, HookContext ctx) {
          record(input, ctx);
        }
      };
    }
  }
}
