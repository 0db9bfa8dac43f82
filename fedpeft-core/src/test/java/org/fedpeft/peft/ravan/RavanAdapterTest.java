package org.fedpeft.peft.ravan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.engine.Engines;
import org.fedpeft.federation.Aggregation;
import org.fedpeft.federation.ClientUpdate;
import org.fedpeft.federation.ConfigKeys;
import org.fedpeft.federation.FedAvg;
import org.fedpeft.federation.ServerState;
import org.fedpeft.federation.StrategyOptions;
import org.fedpeft.federation.Weighting;
import org.fedpeft.io.PeftAdapterFiles;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.GradientProbe;
import org.fedpeft.peft.PeftNames;
import org.fedpeft.peft.Role;
import org.fedpeft.peft.RoundSpec;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ravan and Fed-SB beyond the conformance suite: the frozen factors, head selection by budget, the
 * folded uplink, the server's per-head mean computed by hand, and the PEFT export.
 */
class RavanAdapterTest {

  static NDManager root;
  static BertEncoder encoder;
  static TextTokenizer tokenizer;
  static TokenBatch batch;

  @BeforeAll
  static void setUp() throws Exception {
    Engine engine = Engines.pytorch();
    root = engine.newBaseManager();
    PretrainedModel pm = TinyModels.tiny(11);
    encoder = new BertEncoder(pm.weights(), root);
    tokenizer = pm.newTokenizer();
    batch =
        tokenizer.encodeBatch(
            List.of("a small animal", "a tool for cutting wood", "to move quickly on foot"));
  }

  @AfterAll
  static void tearDown() {
    tokenizer.close();
    encoder.close();
    root.close();
  }

  static RavanAdapter ravan(Map<String, String> options, long seed) {
    return (RavanAdapter) AdapterRegistry.get("ravan").create(options, encoder, seed);
  }

  static NDArray tensor(Adapter a, String name) {
    for (AdapterTensor t : a.tensors()) {
      if (t.name().equals(name)) {
        return t.array();
      }
    }
    throw new AssertionError("no tensor " + name);
  }

  static void fill(Adapter a, String name, float value) {
    NDArray t = tensor(a, name);
    float[] v = new float[(int) t.size()];
    java.util.Arrays.fill(v, value);
    Adapter.Tensors.assign(t, v);
  }

  static float[] hidden(EncoderHooks hooks) {
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      Shape s = new Shape(batch.batchSize(), batch.seqLen());
      return encoder
          .forward(m.create(batch.ids(), s), m.create(batch.mask(), s), hooks, false)
          .toFloatArray();
    }
  }

  /** Gram matrix X X^T of the rows of a rows x cols row-major matrix. */
  static double[][] rowGram(float[] x, int rows, int cols) {
    double[][] g = new double[rows][rows];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < rows; j++) {
        for (int k = 0; k < cols; k++) {
          g[i][j] += (double) x[i * cols + k] * x[j * cols + k];
        }
      }
    }
    return g;
  }

  static float[] transpose(float[] x, int rows, int cols) {
    float[] t = new float[x.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = x[i * cols + j];
      }
    }
    return t;
  }

  static void assertIdentity(double[][] g, String what) {
    for (int i = 0; i < g.length; i++) {
      for (int j = 0; j < g.length; j++) {
        assertEquals(i == j ? 1.0 : 0.0, g[i][j], 1e-5, what + " [" + i + "][" + j + "]");
      }
    }
  }

  @Test
  void gramSchmidtGivesOrthonormalStackedFactors() {
    String q = "encoder.layer.0.attention.self.query";
    try (RavanAdapter a = ravan(Map.of("heads", "3", "rank", "4", "targets", "query"), 7)) {
      float[] stackedA = tensor(a, q + ".ravan_A").toFloatArray(); // (12, 32)
      float[] stackedB = tensor(a, q + ".ravan_B").toFloatArray(); // (32, 12)
      assertIdentity(rowGram(stackedA, 12, 32), "rows of the stacked A");
      assertIdentity(rowGram(transpose(stackedB, 32, 12), 12, 32), "columns of the stacked B");
      for (AdapterTensor t : a.tensors()) {
        if (t.name().contains(".ravan_H.")) {
          assertEquals(Role.GLOBAL, t.role());
          assertArrayEquals(new long[] {4, 4}, t.array().getShape().getShape());
        } else if (t.name().contains(".ravan_s.")) {
          assertEquals(Role.ROUND, t.role());
          assertArrayEquals(new float[] {1f}, t.array().toFloatArray());
        } else {
          assertEquals(Role.FROZEN_SHARED, t.role(), t.name());
        }
      }
    }
  }

  @Test
  void sharedInitGivesEveryHeadTheSameFactorsAndNormalHasTheDefaultScale() {
    String q = "encoder.layer.1.attention.self.query";
    try (RavanAdapter a =
        ravan(Map.of("heads", "3", "rank", "2", "init", "shared", "targets", "query"), 7)) {
      float[] stackedA = tensor(a, q + ".ravan_A").toFloatArray(); // (6, 32)
      for (int head = 1; head < 3; head++) {
        for (int k = 0; k < 2 * 32; k++) {
          assertEquals(stackedA[k], stackedA[head * 2 * 32 + k], "A_" + head + " = A_0");
        }
      }
      assertIdentity(rowGram(stackedA, 2, 32), "rows of the shared A");
    }
    try (RavanAdapter a =
        ravan(Map.of("heads", "4", "rank", "8", "init", "normal", "targets", "query"), 7)) {
      float[] stackedB = tensor(a, q + ".ravan_B").toFloatArray(); // (32, 32)
      double sq = 0;
      for (float v : stackedB) {
        sq += v * v;
      }
      // Entries N(0, 1/32): the mean square of 1024 draws is 1/32 within about 10 %.
      assertEquals(1.0 / 32, sq / stackedB.length, 0.1 / 32);
    }
  }

  /**
   * QA, 5 December: a factors file that does not exist was refused as "cannot read it (PATH)", the
   * JDK's bare path standing for the reason, and a garbled one named its path a second time inside
   * the brackets. The reason is in words now, the path named once. Fails on the old code.
   */
  @Test
  void anUnreadableFactorsFileIsRefusedSayingWhyAndNamingItOnce(@TempDir Path dir)
      throws Exception {
    Path absent = dir.resolve("absent.safetensors");
    Path garbled = java.nio.file.Files.writeString(dir.resolve("garbled.safetensors"), "hello");
    for (String method : List.of("ravan", "fed-sb")) {
      String option = method + ": option 'factors' = ";
      IllegalArgumentException missing =
          assertThrows(
              IllegalArgumentException.class,
              () -> AdapterRegistry.get(method).validate(Map.of("factors", absent.toString())));
      assertEquals(
          option + absent + ": cannot read it (no such file or folder)", missing.getMessage());
      IllegalArgumentException notSafetensors =
          assertThrows(
              IllegalArgumentException.class,
              () -> AdapterRegistry.get(method).validate(Map.of("factors", garbled.toString())));
      assertEquals(
          option
              + garbled
              + ": cannot read it (file is 5 bytes long, shorter than the 8-byte header length"
              + " prefix)",
          notSafetensors.getMessage());
    }
  }

  /**
   * Option factors: A and B of every target come from the file (whatever the seed), the model still
   * equals the base model at init, and a missing file, a missing tensor or a wrong shape is refused
   * naming the option, the file and the tensor.
   */
  @Test
  void factorsFileReplacesTheSeedDrawnFactors(@TempDir Path dir) throws Exception {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
    Map<String, HostTensor> file = new LinkedHashMap<>();
    for (int layer = 0; layer < encoder.config().numLayers(); layer++) {
      String q = "encoder.layer." + layer + ".attention.self.query";
      float[] a = new float[4 * 32];
      float[] b = new float[32 * 4];
      for (int k = 0; k < a.length; k++) {
        a[k] = (float) rng.nextGaussian();
        b[k] = (float) rng.nextGaussian();
      }
      file.put(q + ".ravan_A", new HostTensor(new long[] {4, 32}, a));
      file.put(q + ".ravan_B", new HostTensor(new long[] {32, 4}, b));
    }
    Path path = dir.resolve("factors.safetensors");
    org.fedpeft.io.Safetensors.write(path, file, Map.of());
    Map<String, String> options =
        Map.of("heads", "2", "rank", "2", "targets", "query", "factors", path.toString());
    float[] base = hidden(EncoderHooks.NONE);
    for (long seed : new long[] {1, 9}) {
      try (RavanAdapter a = ravan(options, seed)) {
        for (var e : file.entrySet()) {
          assertArrayEquals(e.getValue().data(), tensor(a, e.getKey()).toFloatArray(), e.getKey());
        }
        assertArrayEquals(base, hidden(a), "equals the base model at init");
        assertEquals(path.toString(), a.config().toOptions().get("factors"));
      }
    }
    IllegalArgumentException wrongShape =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ravan(
                    Map.of(
                        "heads", "2", "rank", "3", "targets", "query", "factors", path.toString()),
                    1));
    assertTrue(
        wrongShape.getMessage().contains("option 'factors' = " + path), wrongShape.getMessage());
    assertTrue(
        wrongShape
            .getMessage()
            .contains(
                "encoder.layer.0.attention.self.query.ravan_A is [4, 32]," + " expected [6, 32]"),
        wrongShape.getMessage());
    IllegalArgumentException missingTensor =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ravan(
                    Map.of(
                        "heads", "2", "rank", "2", "targets", "value", "factors", path.toString()),
                    1));
    assertTrue(
        missingTensor
            .getMessage()
            .contains("has no tensor encoder.layer.0.attention.self.value.ravan_A"),
        missingTensor.getMessage());
    Path absent = dir.resolve("absent.safetensors");
    IllegalArgumentException missingFile =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ravan(
                    Map.of(
                        "heads",
                        "2",
                        "rank",
                        "2",
                        "targets",
                        "query",
                        "factors",
                        absent.toString()),
                    1));
    assertTrue(
        missingFile.getMessage().contains("option 'factors' = " + absent + ": cannot read it"),
        missingFile.getMessage());
  }

  @Test
  void gramSchmidtRefusesMoreDirectionsThanTheModuleHas() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ravan(Map.of("heads", "4", "rank", "9", "targets", "query"), 1));
    assertTrue(e.getMessage().contains("heads * rank = 36"), e.getMessage());
    assertTrue(e.getMessage().contains("encoder.layer.0.attention.self.query"), e.getMessage());
  }

  @Test
  void unknownOrBadOptionsAreNamed() {
    assertThrows(
        IllegalArgumentException.class,
        () -> RavanConfig.fromOptions(Map.of("init", "orthogonal")),
        "init");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RavanConfig.fedSbFromOptions(Map.of("heads", "2")));
    assertTrue(e.getMessage().contains("heads"), e.getMessage());
    assertEquals(
        RavanConfig.fromOptions(Map.of("heads", "3", "head_selection", "gradient")),
        RavanConfig.fromOptions(
            RavanConfig.fromOptions(Map.of("heads", "3", "head_selection", "gradient"))
                .toOptions()));
  }

  @Test
  void budgetSetsTheNumberOfHeadsAndRandomSelectionIsSeeded() {
    Map<String, String> o = Map.of("heads", "4", "rank", "2", "targets", "query");
    try (RavanAdapter a = ravan(o, 1);
        RavanAdapter b = ravan(o, 1)) {
      assertEquals(Set.of(0, 1, 2, 3), heads(a.trainableThisRound(spec(5, null), null)));
      assertEquals(4.0, a.roundMetrics().get("heads_trained"));
      assertEquals(15.0, a.roundMetrics().get("heads_mask"));
      Set<Integer> half = heads(a.trainableThisRound(spec(5, "0.5"), null));
      assertEquals(2, half.size());
      assertEquals(half, heads(b.trainableThisRound(spec(5, "0.5"), null)), "same seed");
      assertEquals(1, heads(a.trainableThisRound(spec(5, "0.1"), null)).size(), "at least one");
      assertEquals(3, heads(a.trainableThisRound(spec(5, "0.75"), null)).size());
      Set<Set<Integer>> seen = new java.util.HashSet<>();
      for (long seed = 0; seed < 20; seed++) {
        seen.add(heads(a.trainableThisRound(spec(seed, "0.25"), null)));
      }
      assertEquals(4, seen.size(), "every head gets picked by some seed");
      assertThrows(
          IllegalArgumentException.class, () -> a.trainableThisRound(spec(5, "1.5"), null));
    }
  }

  /**
   * The factors a bfloat16 base asks for multiply to the whole change, for many tokens and for
   * fewer tokens than outputs (where the whole change is computed in the other order); a disabled
   * adapter offers none.
   */
  @Test
  void factorsMultiplyToTheWholeChange() {
    try (RavanAdapter a = ravan(Map.of("heads", "3", "rank", "2", "targets", "query"), 5);
        NDManager m = root.newSubManager()) {
      for (String name : a.modules()) {
        for (int h = 0; h < 3; h++) {
          fill(a, RavanAdapter.coreName(name, h), 0.1f * (h + 1));
        }
      }
      long hidden = encoder.config().hiddenSize();
      HookContext ctx = HookContext.of(false);
      for (long tokens : new long[] {4 * hidden, 2}) {
        NDArray x = m.randomNormal(new Shape(1, tokens, hidden));
        float[] whole = a.linearDelta(0, 0, x, ctx).toFloatArray();
        float[] product = a.linearLowRank(0, 0, x, ctx).product().toFloatArray();
        assertEquals(whole.length, product.length);
        for (int i = 0; i < whole.length; i++) {
          assertEquals(whole[i], product[i], 1e-5 * (1 + Math.abs(whole[i])), tokens + " tokens");
        }
      }
      assertNull(a.linearLowRank(0, 1, m.zeros(new Shape(1, 2, hidden)), ctx), "key not adapted");
      a.setEnabled(false);
      assertNull(a.linearLowRank(0, 0, m.zeros(new Shape(1, 2, hidden)), ctx), "disabled");
    }
  }

  @Test
  void weightAndGradientSelectionTakeTheLargestHeads() {
    try (RavanAdapter a =
        ravan(
            Map.of("heads", "4", "rank", "2", "targets", "query", "head_selection", "weight"), 1)) {
      for (String m : a.modules()) {
        fill(a, RavanAdapter.coreName(m, 0), 0.1f);
        fill(a, RavanAdapter.coreName(m, 2), 0.3f);
        fill(a, RavanAdapter.coreName(m, 3), 0.2f);
      }
      assertEquals(Set.of(2, 3), heads(a.trainableThisRound(spec(5, "0.5"), null)));
      assertEquals(Set.of(2), heads(a.trainableThisRound(spec(9, "0.25"), null)));
    }
    try (RavanAdapter a =
        ravan(
            Map.of("heads", "4", "rank", "2", "targets", "query", "head_selection", "gradient"),
            1)) {
      GradientProbe probe =
          names -> {
            Map<String, Double> norms = new LinkedHashMap<>();
            for (String n : names) {
              int head = Integer.parseInt(n.substring(n.lastIndexOf('.') + 1));
              norms.put(n, head == 1 ? 5.0 : head == 0 ? 3.0 : 1.0);
            }
            return norms;
          };
      assertEquals(Set.of(0, 1), heads(a.trainableThisRound(spec(5, "0.5"), probe)));
      assertEquals(3.0, a.roundMetrics().get("heads_mask"));
    }
  }

  @Test
  void uplinkSendsTheFoldedCoresOfTheTrainedHeadsOnly() {
    try (RavanAdapter a = ravan(Map.of("heads", "3", "rank", "2", "targets", "query"), 1)) {
      String m = a.modules().get(0);
      fill(a, RavanAdapter.coreName(m, 1), 0.5f);
      fill(a, RavanAdapter.scaleName(m, 1), 3f);
      Set<String> trained = Set.of(RavanAdapter.coreName(m, 1), RavanAdapter.scaleName(m, 1));
      Map<String, HostTensor> up = a.uplink(trained);
      assertEquals(Set.of(RavanAdapter.coreName(m, 1)), up.keySet());
      assertArrayEquals(
          new float[] {1.5f, 1.5f, 1.5f, 1.5f}, up.get(RavanAdapter.coreName(m, 1)).data());
      a.beginRound(spec(2, null));
      assertArrayEquals(
          new float[] {1f}, tensor(a, RavanAdapter.scaleName(m, 1)).toFloatArray(), "s reset");
    }
  }

  /**
   * Two clients with different heads (a: 0 and 1, b: 1 and 2) and head 3 trained by nobody; the
   * server's new cores computed by hand, unweighted and weighted by examples.
   */
  @Test
  void serverTakesThePerHeadMeanOverTheClientsThatTrainedIt() {
    Map<String, String> o =
        Map.of("heads", "4", "rank", "2", "targets", "query", "head_selection", "gradient");
    try (RavanAdapter server = ravan(o, 3);
        RavanAdapter a = ravan(o, 3);
        RavanAdapter b = ravan(o, 3)) {
      List<String> modules = server.modules();
      for (String m : modules) {
        for (int i = 0; i < 4; i++) {
          fill(server, RavanAdapter.coreName(m, i), 0.1f * (i + 1));
        }
      }
      Map<String, HostTensor> global = new LinkedHashMap<>();
      for (AdapterTensor t : server.tensors()) {
        if (t.role() == Role.GLOBAL) {
          global.put(t.name(), Adapter.Tensors.toHost(t.array()));
        }
      }
      ClientUpdate ua =
          trainBy(
              a,
              global,
              "a",
              1,
              Set.of(0, 1),
              new float[] {1, 2, 0, 0},
              new float[] {2, 0.5f, 1, 1});
      ClientUpdate ub =
          trainBy(
              b, global, "b", 3, Set.of(1, 2), new float[] {0, 4, 3, 0}, new float[] {1, 1, -1, 1});
      assertEquals(3.0, ua.metrics().get("adapter.heads_mask"));
      assertEquals(6.0, ub.metrics().get("adapter.heads_mask"));
      // a sends s0 H0 = 2 and s1 H1 = 1; b sends s1 H1 = 4 and s2 H2 = -3.
      float[][] uniform = {{2}, {2.5f}, {-3}, {0.4f}};
      float[][] examples = {{2}, {(1 * 1 + 3 * 4) / 4f}, {-3}, {0.4f}};
      check(aggregate(global, Weighting.UNIFORM, ua, ub), modules, uniform);
      check(aggregate(global, Weighting.EXAMPLES, ua, ub), modules, examples);
    }
  }

  /** Loads the global cores, picks {@code heads}, sets H and s to constants, returns the update. */
  private static ClientUpdate trainBy(
      RavanAdapter c,
      Map<String, HostTensor> global,
      String id,
      long examples,
      Set<Integer> heads,
      float[] h,
      float[] s) {
    c.loadState(global);
    c.beginRound(spec(1, "0.5"));
    GradientProbe probe =
        names -> {
          Map<String, Double> norms = new LinkedHashMap<>();
          for (String n : names) {
            norms.put(
                n,
                heads.contains(Integer.parseInt(n.substring(n.lastIndexOf('.') + 1))) ? 1.0 : 0.0);
          }
          return norms;
        };
    Set<String> trainable = c.trainableThisRound(spec(1, "0.5"), probe);
    assertEquals(heads, heads(trainable));
    for (String m : c.modules()) {
      for (int i = 0; i < 4; i++) {
        if (heads.contains(i)) {
          fill(c, RavanAdapter.coreName(m, i), h[i]);
          fill(c, RavanAdapter.scaleName(m, i), s[i]);
        }
      }
    }
    Map<String, HostTensor> up = c.uplink(trainable);
    assertEquals(2 * c.modules().size(), up.size(), "the trained cores of every module, no scale");
    Map<String, Double> metrics = new LinkedHashMap<>();
    c.roundMetrics().forEach((k, v) -> metrics.put("adapter." + k, v));
    return new ClientUpdate(id, up, examples, metrics, Map.of());
  }

  private static ServerState aggregate(
      Map<String, HostTensor> global, Weighting w, ClientUpdate... updates) {
    FedAvg fedAvg = new FedAvg(StrategyOptions.defaults().withWeighting(w));
    ServerState s0 = fedAvg.initialize(global);
    Aggregation agg = fedAvg.aggregate(s0, 1, List.of(updates), List.of());
    assertEquals(updates.length, agg.accepted().size(), agg.failures().toString());
    return agg.state();
  }

  private static void check(ServerState s, List<String> modules, float[][] expected) {
    for (String m : modules) {
      for (int i = 0; i < 4; i++) {
        HostTensor h = s.global().get(RavanAdapter.coreName(m, i));
        assertNotNull(h);
        for (float v : h.data()) {
          assertEquals(expected[i][0], v, 1e-6, m + " head " + i);
        }
      }
    }
  }

  /**
   * Fed-SB: one core R per module, no scale; the server's R is the mean of the clients' R, and the
   * model's update B R A with the mean R is exactly the mean of the clients' updates.
   */
  @Test
  void fedSbAveragesItsCoresExactly() {
    Map<String, String> o = Map.of("rank", "2", "targets", "value");
    try (Adapter a = AdapterRegistry.get("fed-sb").create(o, encoder, 4);
        Adapter b = AdapterRegistry.get("fed-sb").create(o, encoder, 4);
        Adapter mean = AdapterRegistry.get("fed-sb").create(o, encoder, 4)) {
      assertEquals("fed-sb", a.method());
      assertTrue(a.tensors().stream().noneMatch(t -> t.role() == Role.ROUND), "no scale");
      String r = "encoder.layer.0.attention.self.value.ravan_H.0";
      String r1 = "encoder.layer.1.attention.self.value.ravan_H.0";
      Adapter.Tensors.assign(tensor(a, r), new float[] {1, 2, 3, 4});
      Adapter.Tensors.assign(tensor(b, r), new float[] {3, 0, -1, 8});
      Set<String> trained = a.trainableThisRound(spec(1, "0.25"), null);
      assertEquals(Set.of(r, r1), trained, "one head: a small budget still trains it");
      Map<String, HostTensor> global =
          Map.of(
              r,
              new HostTensor(new long[] {2, 2}, new float[4]),
              r1,
              new HostTensor(new long[] {2, 2}, new float[4]));
      ServerState s =
          aggregate(
              global,
              Weighting.UNIFORM,
              new ClientUpdate("a", a.uplink(trained), 5),
              new ClientUpdate("b", b.uplink(trained), 1));
      assertArrayEquals(new float[] {2, 1, 1, 6}, s.global().get(r).data());
      mean.loadState(Map.of(r, s.global().get(r)));
      RavanAdapter ra = (RavanAdapter) a;
      RavanAdapter rb = (RavanAdapter) b;
      RavanAdapter rm = (RavanAdapter) mean;
      int value = org.fedpeft.model.BertWeights.LINEAR_MODULES.indexOf("attention.self.value");
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        float[] da = ra.deltaWeight(0, value).toFloatArray();
        float[] db = rb.deltaWeight(0, value).toFloatArray();
        float[] dm = rm.deltaWeight(0, value).toFloatArray();
        for (int k = 0; k < dm.length; k++) {
          assertEquals((da[k] + db[k]) / 2, dm[k], 1e-5, "B mean(R) A = mean(B R A)");
        }
      }
    }
  }

  /** The PEFT export, loaded as a plain LoRA of rank h r, computes the adapter's own outputs. */
  @Test
  void peftExportIsOneLoraOfRankHTimesRWithTheSameOutputs(@TempDir Path dir) throws Exception {
    Map<String, String> o = Map.of("heads", "3", "rank", "2", "targets", "query+ffn.out");
    try (RavanAdapter a = ravan(o, 8)) {
      java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
      for (AdapterTensor t : a.tensors()) {
        if (t.trainable()) {
          float[] d = new float[(int) t.array().size()];
          for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rng.nextDouble() - 0.5);
          }
          Adapter.Tensors.assign(t.array(), d);
        }
      }
      float[] adapted = hidden(a);
      AdapterFiles.save(dir, a, 8, Map.of(), List.of("x", "y"), "tiny", null);
      var peft = PeftAdapterFiles.read(dir);
      assertEquals(6, peft.config().r());
      assertEquals(6.0, peft.config().loraAlpha());
      Map<String, HostTensor> lora = new LinkedHashMap<>();
      List<String> modules = new ArrayList<>();
      for (var e : peft.tensors().entrySet()) {
        PeftNames.LoraKey k = PeftNames.parseLoraKey(e.getKey());
        String module = "encoder.layer." + k.layer() + "." + PeftNames.modulePath(k.module());
        lora.put(module + "." + k.part(), e.getValue());
        if (!modules.contains(module)) {
          modules.add(module);
        }
      }
      assertEquals(a.modules(), modules);
      try (Adapter l =
          AdapterRegistry.get("lora")
              .create(
                  Map.of(
                      "rank",
                      "6",
                      "alpha",
                      "6",
                      "dropout",
                      "0",
                      "targets",
                      String.join("+", modules)),
                  encoder,
                  0)) {
        l.loadState(lora);
        float[] viaLora = hidden(l);
        double max = 0;
        for (int i = 0; i < adapted.length; i++) {
          max = Math.max(max, Math.abs(adapted[i] - viaLora[i]));
        }
        assertTrue(max <= 1e-6, "max difference " + max);
      }
      // The fedpeft folder itself loads back: the scales were folded into the saved cores.
      try (Adapter back = AdapterFiles.instantiate(dir, AdapterFiles.read(dir), encoder)) {
        float[] loaded = hidden(back);
        for (int i = 0; i < adapted.length; i++) {
          assertEquals(adapted[i], loaded[i], 1e-5, "output " + i);
        }
      }
      // The PEFT files alone (copied away from the fedpeft files, as a user hands them to PEFT)
      // load as that LoRA, with the head and labels, though their fedpeft key names ravan.
      Path peftOnly = dir.resolve("peft-only");
      java.nio.file.Files.createDirectories(peftOnly);
      for (String f :
          List.of(
              PeftAdapterFiles.CONFIG_FILE,
              PeftAdapterFiles.WEIGHTS_FILE,
              AdapterFiles.HEAD_FILE)) {
        java.nio.file.Files.copy(dir.resolve(f), peftOnly.resolve(f));
      }
      AdapterFiles.Saved saved = AdapterFiles.read(peftOnly);
      assertEquals("lora", saved.method());
      assertEquals(List.of("x", "y"), saved.labels());
      try (Adapter back = AdapterFiles.instantiate(peftOnly, saved, encoder)) {
        float[] loaded = hidden(back);
        double max = 0;
        for (int i = 0; i < adapted.length; i++) {
          max = Math.max(max, Math.abs(adapted[i] - loaded[i]));
        }
        assertTrue(max <= 1e-6, "PEFT files alone: max difference " + max);
      }
    }
  }

  @Test
  void readsTheBudgetUnderTheStrategysKey() {
    assertEquals(ConfigKeys.BUDGET, RavanAdapter.BUDGET_KEY);
  }

  @Test
  void budgetMatchingFormula() {
    // methods.md: 4 heads of rank 110 match LoRA rank 32 on d = 768, 4 x 55 match rank 8.
    assertEquals(110, RavanConfig.matchingRank(4, 32, 768, 768));
    assertEquals(55, RavanConfig.matchingRank(4, 8, 768, 768));
    assertEquals(78, RavanConfig.matchingRank(1, 8, 384, 384)); // 78^2 = 6084 <= 6144 < 79^2
  }

  static RoundSpec spec(long seed, String budget) {
    return new RoundSpec(1, seed, budget == null ? Map.of() : Map.of(ConfigKeys.BUDGET, budget));
  }

  /** The head indices among the core names of a trainable set. */
  static Set<Integer> heads(Set<String> names) {
    Set<Integer> h = new LinkedHashSet<>();
    for (String n : names) {
      if (n.contains(".ravan_H.")) {
        h.add(Integer.parseInt(n.substring(n.lastIndexOf('.') + 1)));
      }
    }
    return new java.util.TreeSet<>(h);
  }
}
