package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.Precision;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checks every adapter method must pass, run over each registered configuration on a tiny
 * random BERT. A new method adds its configurations to {@link #methods()}.
 */
class AdapterConformanceTest {

  static ConformanceFixture fixture;
  static NDManager root;
  static BertEncoder encoder;
  static TokenBatch batch;
  static EncodedExamples data;

  /** (method name, options) of every configuration under test. */
  static Stream<Arguments> methods() {
    return Stream.of(
        Arguments.of("lora", Map.of("rank", "4", "alpha", "8", "targets", "query+value")),
        Arguments.of(
            "lora", Map.of("rank", "2", "targets", "all-linear", "dropout", "0.0", "alpha", "3")),
        Arguments.of(
            "lora", Map.of("rank", "3", "targets", "key+ffn.in+ffn.out", "train_a", "false")),
        // FedBE: the default spacing (after each base block of the 2-block model), one block on
        // top, and two stacked after the first base block.
        Arguments.of("fedbe", Map.of()),
        Arguments.of("fedbe", Map.of("blocks", "1")),
        Arguments.of("fedbe", Map.of("blocks", "2", "positions", "0+0")),
        // Full fine-tuning of the top block, and of both blocks of the 2-block model.
        Arguments.of("top-blocks", Map.of("blocks", "1")),
        Arguments.of("top-blocks", Map.of("blocks", "2")),
        Arguments.of("softembed", Map.of()),
        Arguments.of("softembed", Map.of("form", "linear", "placement", "embeddings")),
        Arguments.of("softembed", Map.of("form", "lowrank", "rank", "4")),
        Arguments.of(
            "softembed", Map.of("form", "lowrank", "rank", "3", "placement", "embeddings")),
        Arguments.of("softembed", Map.of("form", "mlp", "rank", "8")),
        Arguments.of("softembed", Map.of("form", "mlp", "rank", "5", "placement", "embeddings")),
        Arguments.of("ravan", Map.of("heads", "2", "rank", "4", "targets", "query+value")),
        Arguments.of(
            "ravan",
            Map.of(
                "heads",
                "3",
                "rank",
                "2",
                "init",
                "normal",
                "targets",
                "all-linear",
                "dropout",
                "0.1")),
        Arguments.of(
            "ravan", Map.of("heads", "2", "rank", "3", "init", "shared", "targets", "key+ffn.out")),
        Arguments.of("fed-sb", Map.of("rank", "5", "targets", "query+attention.output")),
        // FedDPA: a global and a local LoRA (and its LOCAL anchors, which no optimiser touches);
        // the personalised LoRA baselines.
        Arguments.of("feddpa", Map.of("rank", "4", "instances", "3")),
        Arguments.of(
            "feddpa",
            Map.of(
                "rank",
                "2",
                "targets",
                "all-linear",
                "variant",
                "F",
                "weight_goes_to",
                "local",
                "embedding",
                "base")),
        Arguments.of("fedlora", Map.of("rank", "3", "targets", "query+value")),
        Arguments.of("fedsa-lora", Map.of("rank", "4", "targets", "key+ffn.out")));
  }

  /**
   * Methods whose initial values do not depend on the seed (FedBE's new blocks are copies of base
   * blocks and zeros, top-blocks' tensors copies of the base blocks), for which {@link
   * #sameSeedSameInit} checks equality only.
   */
  static final java.util.Set<String> SEED_FREE_INIT = java.util.Set.of("fedbe", "top-blocks");

  @BeforeAll
  static void setUp() throws Exception {
    fixture = new ConformanceFixture(Precision.FP32);
    root = fixture.root;
    encoder = fixture.encoder;
    batch = fixture.batch;
    data = fixture.data;
  }

  @AfterAll
  static void tearDown() {
    fixture.close();
  }

  static float[] hidden(EncoderHooks hooks) {
    return fixture.hidden(hooks);
  }

  static Adapter create(String method, Map<String, String> options, long seed) {
    return fixture.create(method, options, seed);
  }

  /** Gives every trainable tensor non-zero values, so the adapter changes the model. */
  static void perturb(Adapter a, long seed) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
    for (AdapterTensor t : a.tensors()) {
      float[] d = new float[(int) t.array().size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = (float) (rng.nextDouble() - 0.5) * 0.2f;
      }
      Adapter.Tensors.assign(t.array(), d);
    }
  }

  @ParameterizedTest
  @MethodSource("methods")
  void equalsBaseModelAtInit(String method, Map<String, String> options) {
    float[] base = hidden(EncoderHooks.NONE);
    try (Adapter a = create(method, options, 1)) {
      assertArrayEquals(base, hidden(a));
    }
  }

  @ParameterizedTest
  @MethodSource("methods")
  void disabledAdapterIsExactlyTheBaseModel(String method, Map<String, String> options) {
    float[] base = hidden(EncoderHooks.NONE);
    try (Adapter a = create(method, options, 1)) {
      perturb(a, 5);
      assertNotEquals(base[0], hidden(a)[0], "a perturbed adapter must change the model");
      a.setEnabled(false);
      assertArrayEquals(base, hidden(a));
      a.setEnabled(true);
    }
  }

  /**
   * {@link EncoderHooks#changesLinear} false must mean no linear delta there: with a bfloat16 base
   * the encoder computes such modules fused and never asks. The adapter runs behind a wrapper that
   * passes every insertion point through and records where a delta came back.
   */
  @ParameterizedTest
  @MethodSource("methods")
  void linearDeltasOnlyWhereChangesLinearSaysSo(String method, Map<String, String> options) {
    try (Adapter a = create(method, options, 1)) {
      perturb(a, 21);
      List<String> undeclared = new ArrayList<>();
      EncoderHooks recording =
          new EncoderHooks() {
            @Override
            public NDArray tokenEmbeddings(NDArray tokens, HookContext ctx) {
              return a.tokenEmbeddings(tokens, ctx);
            }

            @Override
            public NDArray afterEmbeddings(NDArray hidden, HookContext ctx) {
              return a.afterEmbeddings(hidden, ctx);
            }

            @Override
            public boolean changesLinear(int layer, int module) {
              return a.changesLinear(layer, module);
            }

            @Override
            public NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
              NDArray d = a.linearDelta(layer, module, input, ctx);
              if (d != null && !a.changesLinear(layer, module)) {
                undeclared.add("layer " + layer + " module " + module);
              }
              return d;
            }

            @Override
            public NDArray replaceBlock(int layer, NDArray hidden, HookContext ctx) {
              return a.replaceBlock(layer, hidden, ctx);
            }

            @Override
            public NDArray afterBlock(int layer, NDArray hidden, HookContext ctx) {
              return a.afterBlock(layer, hidden, ctx);
            }

            @Override
            public int firstAdaptedLayer() {
              return a.firstAdaptedLayer();
            }
          };
      assertArrayEquals(hidden(a), hidden(recording), "the wrapper passes everything through");
      assertTrue(undeclared.isEmpty(), "deltas where changesLinear is false: " + undeclared);
    }
  }

  @ParameterizedTest
  @MethodSource("methods")
  void sameSeedSameInit(String method, Map<String, String> options) {
    try (Adapter a = create(method, options, 3);
        Adapter b = create(method, options, 3);
        Adapter c = create(method, options, 4)) {
      assertEquals(a.state(), b.state());
      if (SEED_FREE_INIT.contains(method)) {
        assertEquals(a.state(), c.state());
      } else if (!allZero(a)) { // a method without a random part cannot depend on the seed
        assertNotEquals(a.state(), c.state());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("methods")
  void trainingChangesOnlyTrainableTensors(String method, Map<String, String> options)
      throws Exception {
    Map<String, HostTensor> frozenBefore = frozenWeights();
    try (Adapter a = create(method, options, 1);
        ClassificationHead head = new ClassificationHead(root, 32, 3, 2);
        AdamW opt = new AdamW(root)) {
      ClassifierModel model = new ClassifierModel(encoder, a, head);
      Map<String, HostTensor> before = model.state();
      TrainConfig cfg = new TrainConfig(3, 4, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 0f, 9);
      new LocalTrainer(model).train(data, cfg, opt, TrainListener.NONE);
      Map<String, HostTensor> after = model.state();
      for (AdapterTensor t : model.tensors()) {
        boolean changed = !before.get(t.name()).equals(after.get(t.name()));
        assertEquals(t.trainable(), changed, t.name() + " changed=" + changed);
      }
    }
    assertEquals(frozenBefore, frozenWeights(), "frozen encoder weights must not change");
  }

  /**
   * QA, 6 December: every built-in method allows two batches at once, so with two intra-op threads
   * its training batches run as two halves side by side; two such runs end in the same bits,
   * whichever half finishes first.
   */
  @ParameterizedTest
  @MethodSource("methods")
  void trainsInHalvesToTheSameBitsEveryTime(String method, Map<String, String> options) {
    int threadsBefore = ai.djl.pytorch.jni.JniUtils.getNumThreads();
    try {
      org.fedpeft.engine.Engines.intraOpThreads(2);
      Map<String, HostTensor> first = null;
      for (int run = 0; run < 2; run++) {
        try (Adapter a = create(method, options, 1);
            ClassificationHead head = new ClassificationHead(root, 32, 3, 2);
            AdamW opt = new AdamW(root)) {
          assertTrue(a.concurrentBatches(), method + " allows two batches at once");
          ClassifierModel model = new ClassifierModel(encoder, a, head);
          TrainConfig cfg =
              new TrainConfig(3, 4, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 1f, 9);
          new LocalTrainer(model).train(data, cfg, opt, TrainListener.NONE);
          if (first == null) {
            first = model.state();
          } else {
            assertEquals(first, model.state());
          }
        }
      }
    } finally {
      ai.djl.pytorch.jni.JniUtils.setNumThreads(threadsBefore);
    }
  }

  @ParameterizedTest
  @MethodSource("methods")
  void mergeThenUnmergeRestores(String method, Map<String, String> options) {
    Map<String, HostTensor> weights = frozenWeights();
    try (Adapter a = create(method, options, 1)) {
      perturb(a, 8);
      float[] adapted = hidden(a);
      try {
        a.merge(encoder);
      } catch (UnsupportedOperationException e) {
        return; // a method that cannot merge says so
      }
      float[] merged = hidden(a);
      assertClose(adapted, merged, 1e-5, "merged model equals the adapted model");
      a.unmerge(encoder);
      Map<String, HostTensor> restored = frozenWeights();
      for (var e : weights.entrySet()) {
        assertClose(e.getValue().data(), restored.get(e.getKey()).data(), 1e-6, e.getKey());
      }
      assertClose(adapted, hidden(a), 1e-5, "unmerged adapter works as before");
    }
  }

  @ParameterizedTest
  @MethodSource("methods")
  void saveThenLoadIsExact(String method, Map<String, String> options) {
    try (Adapter a = create(method, options, 1);
        Adapter b = create(method, options, 2)) {
      perturb(a, 13);
      Map<String, HostTensor> saved = a.state();
      b.loadState(saved);
      assertEquals(saved, b.state());
      assertArrayEquals(hidden(a), hidden(b));
    }
  }

  static boolean allZero(Adapter a) {
    for (HostTensor t : a.state().values()) {
      for (float v : t.data()) {
        if (v != 0f) {
          return false;
        }
      }
    }
    return true;
  }

  static Map<String, HostTensor> frozenWeights() {
    Map<String, HostTensor> m = new java.util.LinkedHashMap<>();
    for (String name : new ArrayList<>(encoderWeightNames())) {
      m.put(name, Adapter.Tensors.toHost(encoder.weight(name)));
    }
    return m;
  }

  static List<String> encoderWeightNames() {
    return List.of(
        "encoder.layer.0.attention.self.query.weight",
        "encoder.layer.0.attention.self.key.weight",
        "encoder.layer.1.attention.self.value.weight",
        "encoder.layer.1.attention.output.dense.weight",
        "encoder.layer.0.intermediate.dense.weight",
        "encoder.layer.1.output.dense.weight",
        "embeddings.word_embeddings.weight",
        "encoder.layer.1.output.LayerNorm.weight");
  }

  static void assertClose(float[] a, float[] b, double tol, String what) {
    assertEquals(a.length, b.length);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    assertTrue(max <= tol, what + ": max difference " + max);
  }
}
