package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.fedpeft.engine.Engines;
import org.fedpeft.engine.ThreadSettingsRestored;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BatchProgress;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * QA, 6 December: with two intra-op threads a training step of a model that allows it runs its
 * batch as two halves side by side ({@link org.fedpeft.engine.SideBySide}), and so does the
 * embedder. The halves train the model the whole batch trains, up to float rounding, end in the
 * same bits whichever half finishes first, and run only where the hooks allow two batches at once.
 */
@ExtendWith(ThreadSettingsRestored.class)
class BatchHalvesTest {

  private static final List<String> TEXTS =
      List.of(
          "red apple",
          "green pear and a fig",
          "blue sky",
          "grey cloud over the hill",
          "a dog",
          "the cat sat");
  private static final int[] LABELS = {0, 0, 1, 1, 0, 1};

  @Test
  void halvesTrainTheModelTheWholeBatchTrains() throws Exception {
    assertSameUpToRounding(train(1, 0f, true, null), train(2, 0f, true, null));
  }

  /**
   * QA, 6 December: with LoRA dropout the halves draw their rows of the whole batch's masks
   * (Dropout, StepRandom.Part), so they still train the model the whole batch trains, up to float
   * rounding; each half drew masks of its own before, which trained another model.
   */
  @Test
  void halvesWithDropoutTrainTheModelTheWholeBatchTrains() throws Exception {
    assertSameUpToRounding(train(1, 0.2f, true, null), train(2, 0.2f, true, null));
  }

  private static void assertSameUpToRounding(
      Map<String, HostTensor> whole, Map<String, HostTensor> halves) {
    assertSameUpToRounding(whole, halves, "");
  }

  /**
   * Each tensor of {@code halves} equals {@code whole}'s to 1e-4 of its largest magnitude (float
   * rounding); a failure names {@code what} and the tensor.
   */
  static void assertSameUpToRounding(
      Map<String, HostTensor> whole, Map<String, HostTensor> halves, String what) {
    for (var e : whole.entrySet()) {
      float[] a = e.getValue().data();
      float[] b = halves.get(e.getKey()).data();
      float scale = 0;
      for (float x : a) {
        scale = Math.max(scale, Math.abs(x));
      }
      assertArrayEquals(a, b, 1e-4f * Math.max(scale, 1e-3f), what + e.getKey());
    }
  }

  @Test
  void halvesEndInTheSameBitsEveryTime() throws Exception {
    Map<String, HostTensor> first = train(2, 0.2f, true, null);
    for (int run = 0; run < 2; run++) {
      Map<String, HostTensor> again = train(2, 0.2f, true, null);
      for (var e : first.entrySet()) {
        assertArrayEquals(e.getValue().data(), again.get(e.getKey()).data(), 0f, e.getKey());
      }
    }
  }

  @Test
  void stepsRunAsHalvesOnlyWithTwoThreadsAndHooksThatAllowIt() throws Exception {
    ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
    train(2, 0f, true, seen);
    // A batch of 5 (TrainConfig below): halves of 3 and 2 on the pool's threads.
    assertEquals(Set.of("fedpeft-batch-half:3", "fedpeft-batch-half:2"), new TreeSet<>(seen));
    seen.clear();
    train(2, 0f, false, seen);
    assertEquals(Set.of(Thread.currentThread().getName() + ":5"), new TreeSet<>(seen));
    seen.clear();
    train(1, 0f, true, seen);
    assertEquals(Set.of(Thread.currentThread().getName() + ":5"), new TreeSet<>(seen));
  }

  /**
   * Evaluation runs whole batches, so its scores do not depend on the thread count: a deployed
   * server evaluates on other threads than the simulation it must equal.
   */
  @Test
  void evaluationRunsWholeBatchesWithTheSameBitsForAnyThreadCount() throws Exception {
    PretrainedModel pm = TinyModels.tiny(9);
    Engine engine = Engines.pytorch();
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora = AdapterRegistry.get("lora").create(Map.of("rank", "4"), enc, 1);
        ClassificationHead head = new ClassificationHead(root, 32, 2, 2)) {
      ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
      for (AdapterTensor t : lora.tensors()) {
        float[] v = new float[(int) t.array().size()];
        java.util.Arrays.fill(v, 0.05f);
        Adapter.Tensors.assign(t.array(), v);
      }
      EncodedExamples data = EncodedExamples.encode(tok, TEXTS, LABELS);
      LocalTrainer trainer =
          new LocalTrainer(new ClassifierModel(enc, new Recording(lora, true, seen), head));
      float[][] one = new float[TEXTS.size()][];
      float[][] two = new float[TEXTS.size()][];
      Engines.intraOpThreads(1);
      trainer.logits(data.tokens(), 64, BatchProgress.NONE, (i, row) -> one[i] = row);
      Evaluation e1 = trainer.evaluate(data, 64);
      Engines.intraOpThreads(2);
      trainer.logits(data.tokens(), 64, BatchProgress.NONE, (i, row) -> two[i] = row);
      Evaluation e2 = trainer.evaluate(data, 64);
      for (int i = 0; i < one.length; i++) {
        assertArrayEquals(one[i], two[i], 0f, "text " + i);
      }
      assertEquals(e1, e2);
      assertEquals(Set.of(Thread.currentThread().getName() + ":6"), new TreeSet<>(seen));
    }
  }

  @Test
  void embedderHalvesGiveTheWholeBatchsEmbeddings() throws Exception {
    PretrainedModel pm = TinyModels.tiny(9);
    Engine engine = Engines.pytorch();
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora = AdapterRegistry.get("lora").create(Map.of("rank", "4"), enc, 1)) {
      ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
      SentenceEmbedder base = new SentenceEmbedder(enc, tok, EncoderHooks.NONE);
      // LoRA at its start (B = 0) changes nothing, so its embedder must give the base model's.
      SentenceEmbedder embedder = new SentenceEmbedder(enc, tok, new Recording(lora, true, seen));
      long[][] seqs = new long[TEXTS.size()][];
      for (int i = 0; i < seqs.length; i++) {
        seqs[i] = tok.encode(TEXTS.get(i));
      }
      TokenBatch batch = TokenBatch.pad(seqs);
      float[][] whole = base.embedBatch(TokenBatch.pad(new long[][] {seqs[0]}));
      Engines.intraOpThreads(1);
      float[][] oneThread = embedder.embedBatch(batch);
      assertEquals(Set.of(Thread.currentThread().getName() + ":3"), new TreeSet<>(seen));
      seen.clear();
      Engines.intraOpThreads(2);
      float[][] twoThreads = embedder.embedBatch(batch);
      assertEquals(Set.of("fedpeft-batch-half:3"), new TreeSet<>(seen));
      float[][] baseTwoThreads = base.embedBatch(batch);
      assertEquals(TEXTS.size(), twoThreads.length);
      for (int i = 0; i < twoThreads.length; i++) {
        // The same bits whatever the thread count, and the base model's at LoRA's start.
        assertArrayEquals(oneThread[i], twoThreads[i], 0f, "row " + i);
        assertArrayEquals(baseTwoThreads[i], twoThreads[i], 0f, "row " + i);
      }
      // A batch of one runs whole; its row is that text's embedding in the batch, up to rounding.
      assertArrayEquals(whole[0], twoThreads[0], 1e-6f);
    }
  }

  /**
   * Trains LoRA (through {@link Recording}) for 4 steps of 5 examples with {@code threads} intra-op
   * threads on this thread.
   *
   * @param seen where the hooks record "thread:batch" for every call, or null
   */
  private static Map<String, HostTensor> train(
      int threads, float dropout, boolean concurrent, ConcurrentLinkedQueue<String> seen)
      throws Exception {
    PretrainedModel pm = TinyModels.tiny(9);
    Engine engine = Engines.pytorch();
    Engines.gradModeOffOnThisThread();
    Engines.intraOpThreads(threads);
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer();
        Adapter lora =
            AdapterRegistry.get("lora")
                .create(Map.of("rank", "4", "dropout", Float.toString(dropout)), enc, 1);
        Recording rec = new Recording(lora, concurrent, seen);
        ClassificationHead head = new ClassificationHead(root, 32, 2, 2);
        AdamW opt = new AdamW(root)) {
      EncodedExamples data = EncodedExamples.encode(tok, TEXTS, LABELS);
      ClassifierModel model = new ClassifierModel(enc, rec, head);
      TrainConfig cfg = new TrainConfig(4, 5, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 1f, 100);
      new LocalTrainer(model).train(data, cfg, opt, TrainListener.NONE);
      return model.state();
    }
  }

  /** LoRA, with two batches at once allowed or not, recording the thread and batch of each call. */
  private static final class Recording extends ObservedAdapter {
    private final boolean concurrent;
    private final ConcurrentLinkedQueue<String> seen;

    Recording(Adapter inner, boolean concurrent, ConcurrentLinkedQueue<String> seen) {
      super(inner);
      this.concurrent = concurrent;
      this.seen = seen;
    }

    @Override
    public boolean concurrentBatches() {
      return concurrent && inner.concurrentBatches();
    }

    @Override
    void observe(NDArray input, HookContext ctx) {
      if (seen != null) {
        seen.add(Thread.currentThread().getName() + ":" + input.getShape().get(0));
      }
    }
  }
}
