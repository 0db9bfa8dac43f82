package org.fedpeft.peft.expansion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
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
import org.fedpeft.peft.RoundSpec;
import org.fedpeft.peft.TrainingPhase;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** FedBE's adapter: block positions, options, and the per-round assignment of blocks. */
class ExpansionAdapterTest {

  static Engine engine;
  static NDManager root;
  static BertEncoder encoder; // 2 base blocks, hidden 32
  static TextTokenizer tokenizer;
  static EncodedExamples data;

  @BeforeAll
  static void setUp() throws Exception {
    engine = Engines.pytorch();
    root = engine.newBaseManager();
    PretrainedModel pm = TinyModels.tiny(5);
    encoder = new BertEncoder(pm.weights(), root);
    tokenizer = pm.newTokenizer();
    List<String> texts =
        List.of("a small animal", "a tool for cutting wood", "to run", "the sea on a clear day");
    data = EncodedExamples.encode(tokenizer, texts, new int[] {0, 1, 2, 1});
  }

  @AfterAll
  static void tearDown() {
    tokenizer.close();
    encoder.close();
    root.close();
  }

  static ExpansionAdapter create(Map<String, String> options) {
    return (ExpansionAdapter) AdapterRegistry.get("fedbe").create(options, encoder, 0);
  }

  /** The blocks {@code a} trains this round, from its trainable tensors' names {@code fedbe.J.}. */
  static Set<Integer> assignedBlocks(ExpansionAdapter a) {
    Set<Integer> blocks = new java.util.TreeSet<>();
    for (String name : a.trainableThisRound(null, null)) {
      blocks.add(Integer.parseInt(name.split("\\.")[1]));
    }
    return blocks;
  }

  @Test
  void defaultPositionsAreOneNewBlockAfterEveryLOverMBaseBlocks() {
    assertEquals(List.of(2, 5), ExpansionConfig.fromOptions(Map.of()).positionsFor(6));
    assertEquals(
        List.of(1, 3, 5), ExpansionConfig.fromOptions(Map.of("blocks", "3")).positionsFor(6));
    assertEquals(List.of(5), ExpansionConfig.fromOptions(Map.of("blocks", "1")).positionsFor(6));
    assertEquals(
        List.of(0, 1, 2, 3, 4, 5),
        ExpansionConfig.fromOptions(Map.of("blocks", "6")).positionsFor(6));
    assertEquals(
        List.of(0, 0, 1, 1), ExpansionConfig.fromOptions(Map.of("blocks", "4")).positionsFor(2));
    assertEquals(
        List.of(0, 3),
        ExpansionConfig.fromOptions(Map.of("blocks", "2", "positions", "0+3")).positionsFor(6));
  }

  @Test
  void badOptionsAreNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ExpansionConfig.fromOptions(Map.of("blocks", "3", "positions", "0+1")));
    assertTrue(e.getMessage().contains("positions") && e.getMessage().contains("blocks = 3"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ExpansionConfig.fromOptions(Map.of("positions", "3+1")));
    assertTrue(e.getMessage().contains("non-decreasing"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ExpansionConfig.fromOptions(Map.of("positions", "1+x")));
    assertTrue(e.getMessage().contains("x is no integer"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ExpansionConfig.fromOptions(Map.of("blocks", "1", "positions", "6"))
                    .positionsFor(6));
    assertTrue(e.getMessage().contains("position 6"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ExpansionConfig.fromOptions(Map.of("allocation", "greedy")));
    assertTrue(e.getMessage().contains("allocation"), e.getMessage());
    ExpansionConfig c = ExpansionConfig.fromOptions(Map.of("blocks", "3", "positions", "0+0+1"));
    assertEquals(c, ExpansionConfig.fromOptions(c.toOptions()), "options round-trip");
  }

  @Test
  void badBlockListsNameTheRoundAndTheValue() {
    try (ExpansionAdapter a = create(Map.of())) {
      for (String bad : List.of("2", "", "0,x", "-1")) {
        IllegalArgumentException e =
            assertThrows(
                IllegalArgumentException.class,
                () -> a.beginRound(new RoundSpec(4, 1, Map.of(ExpansionAdapter.BLOCKS_KEY, bad))));
        assertTrue(
            e.getMessage().contains("round 4") && e.getMessage().contains("fedbe.blocks"),
            e.getMessage());
      }
    }
  }

  @Test
  void theAssignmentSetsTrainableTensorsAndTheFirstAdaptedLayer() {
    try (ExpansionAdapter a = create(Map.of("blocks", "3", "positions", "0+1+1"))) {
      assertEquals(1, a.firstAdaptedLayer(), "every block trains before a round says otherwise");
      a.beginRound(new RoundSpec(1, 1, Map.of(ExpansionAdapter.BLOCKS_KEY, "2,1")));
      assertEquals(Set.of(1, 2), assignedBlocks(a));
      assertEquals(2, a.firstAdaptedLayer(), "both assigned blocks follow base block 1");
      Set<String> names = a.trainableThisRound(null, null);
      assertEquals(24, names.size());
      assertTrue(
          names.stream().allMatch(n -> n.startsWith("fedbe.1.") || n.startsWith("fedbe.2.")));
      a.beginRound(new RoundSpec(2, 1, Map.of()));
      assertEquals(Set.of(0, 1, 2), assignedBlocks(a), "no list: every block");
      a.setEnabled(false);
      assertEquals(Integer.MAX_VALUE, a.firstAdaptedLayer());
    }
  }

  /**
   * Block 0 (after base block 0) is not assigned, block 1 (after base block 1) is: autograd never
   * computes block 0's gradient, block 0 still runs in the forward pass, and training changes block
   * 1 and the head only.
   */
  @Test
  void anUnassignedBlockRunsButItsGradientIsNeverComputed() throws Exception {
    try (ExpansionAdapter a = create(Map.of("blocks", "2"));
        ClassificationHead head = new ClassificationHead(root, 32, 3, 2)) {
      perturb(a, 0, 3);
      ClassifierModel model = new ClassifierModel(encoder, a, head);
      float[] withBlock0 = pooled(model);
      RoundSpec spec = new RoundSpec(1, 9, Map.of(ExpansionAdapter.BLOCKS_KEY, "1"));
      a.beginRound(spec);
      assertEquals(2, a.firstAdaptedLayer(), "both base blocks run on the scripted path");
      Set<String> trainable = a.trainableThisRound(spec, null);
      List<TrainingPhase> phases = a.phases(spec, trainable);

      // One backward pass: block 1 gets gradients, block 0 has none attached.
      TokenBatch batch = data.batch(new int[] {0, 1, 2, 3});
      try (NDScope scope = new NDScope();
          NDManager m = root.newSubManager()) {
        scope.suppressNotUsedWarning();
        model.enterPhase(phases.get(0));
        Shape s = new Shape(batch.batchSize(), batch.seqLen());
        try (GradientCollector gc = engine.newGradientCollector()) {
          NDArray logits = model.logits(m.create(batch.ids(), s), m.create(batch.mask(), s), true);
          gc.backward(LocalTrainer.crossEntropy(logits, m.create(new long[] {0, 1, 2, 1})));
        }
        for (AdapterTensor t : a.tensors()) {
          if (t.name().startsWith("fedbe.0.")) {
            assertFalse(t.array().hasGradient(), t.name() + " has no gradient");
          } else {
            assertTrue(t.array().hasGradient(), t.name() + " has a gradient");
          }
        }
        NDArray g = a.tensors().get(12 + 4).array().getGradient(); // fedbe.1.attn_out.weight
        assertTrue(g.abs().sum().getFloat() > 0, "the assigned block's output projection learns");
        model.endPhases();
      }

      // Block 0 runs although it does not train: resetting it changes the output.
      try (ExpansionAdapter fresh = create(Map.of("blocks", "2"))) {
        Map<String, HostTensor> perturbed = a.state();
        Map<String, HostTensor> block0Reset = new java.util.TreeMap<>(perturbed);
        fresh
            .state()
            .forEach(
                (k, v) -> {
                  if (k.startsWith("fedbe.0.")) {
                    block0Reset.put(k, v);
                  }
                });
        a.loadState(block0Reset);
        assertNotEquals(withBlock0[0], pooled(model)[0], "block 0 is part of the forward pass");
        a.loadState(perturbed);
      }

      // Training through the client's phases changes block 1 and the head, never block 0.
      Map<String, HostTensor> before = model.state();
      model.enterPhase(phases.get(0));
      try (AdamW opt = new AdamW(root)) {
        TrainConfig cfg = new TrainConfig(2, 4, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 0f, 9);
        new LocalTrainer(model).train(data, cfg, opt, TrainListener.NONE);
      }
      model.endPhases();
      Map<String, HostTensor> after = model.state();
      Set<String> changed = new TreeSet<>();
      for (String n : before.keySet()) {
        if (!before.get(n).equals(after.get(n))) {
          changed.add(n);
        }
      }
      assertTrue(changed.stream().noneMatch(n -> n.startsWith("fedbe.0.")), changed.toString());
      assertTrue(changed.contains("fedbe.1.attn_out.weight"), changed.toString());
      assertTrue(changed.contains("classifier.weight"), changed.toString());
    }
  }

  static float[] pooled(ClassifierModel model) {
    TokenBatch batch = data.batch(new int[] {0, 1, 2, 3});
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      Shape s = new Shape(batch.batchSize(), batch.seqLen());
      return model
          .pooled(m.create(batch.ids(), s), m.create(batch.mask(), s), false)
          .toFloatArray();
    }
  }

  /** Gives block {@code j}'s tensors non-zero random values. */
  static void perturb(Adapter a, int j, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (AdapterTensor t : a.tensors()) {
      if (t.name().startsWith("fedbe." + j + ".")) {
        float[] d = new float[(int) t.array().size()];
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) (rng.nextDouble() - 0.5) * 0.2f;
        }
        Adapter.Tensors.assign(t.array(), d);
      }
    }
  }
}
