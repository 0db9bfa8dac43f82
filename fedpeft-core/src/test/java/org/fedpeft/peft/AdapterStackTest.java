package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.LowRankDelta;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two named LoRA adapters on one model, one of them local. */
class AdapterStackTest {

  static final Map<String, String> LORA = Map.of("rank", "2", "targets", "query+value");

  @BeforeAll
  static void setUp() throws Exception {
    AdapterConformanceTest.setUp();
  }

  @AfterAll
  static void tearDown() {
    AdapterConformanceTest.tearDown();
  }

  static AdapterStack dual() {
    return AdapterStack.create(
        List.of(
            new AdapterStack.MemberSpec("global", "lora", LORA, false),
            new AdapterStack.MemberSpec("local", "lora", LORA, true)),
        AdapterConformanceTest.encoder,
        7);
  }

  @Test
  void membersAreNamedSeededByNameAndTheLocalOneStaysLocal() {
    try (AdapterStack s = dual();
        Adapter g =
            AdapterConformanceTest.create("lora", LORA, AdapterStack.memberSeed(7, "global"))) {
      String a = "encoder.layer.0.attention.self.query.lora_A";
      AdapterTensor ga = find(s, "global/" + a);
      AdapterTensor la = find(s, "local/" + a);
      assertEquals(Role.GLOBAL, ga.role());
      assertEquals(Role.LOCAL, la.role());
      assertEquals(Role.LOCAL, find(s, "local/encoder.layer.0.attention.self.query.lora_B").role());
      assertArrayEquals(
          g.state().get(a).data(), ga.array().toFloatArray(), "the member's own seed");
      assertFalse(
          java.util.Arrays.equals(ga.array().toFloatArray(), la.array().toFloatArray()),
          "two members of one method do not start identical");
    }
    assertThrows(
        IllegalArgumentException.class,
        () ->
            AdapterStack.create(
                List.of(
                    new AdapterStack.MemberSpec("x", "lora", LORA, false),
                    new AdapterStack.MemberSpec("x", "lora", LORA, true)),
                AdapterConformanceTest.encoder,
                7));
  }

  @Test
  void theDeltasAddUpAsIfBothWereMergedIntoTheWeights() {
    try (AdapterStack s = dual()) {
      AdapterConformanceTest.perturb(s, 3);
      float[] stacked = AdapterConformanceTest.hidden(s);
      s.member("global").merge(AdapterConformanceTest.encoder);
      s.member("local").merge(AdapterConformanceTest.encoder);
      try {
        float[] merged = AdapterConformanceTest.hidden(EncoderHooks.NONE);
        AdapterConformanceTest.assertClose(stacked, merged, 1e-5, "sum of both deltas");
      } finally {
        s.member("global").unmerge(AdapterConformanceTest.encoder);
        s.member("local").unmerge(AdapterConformanceTest.encoder);
      }
    }
  }

  @Test
  void onlyTheGlobalMemberIsSent() {
    try (AdapterStack s = dual()) {
      Set<String> all = s.trainableThisRound(new RoundSpec(1, 1, Map.of()), GradientProbe.NONE);
      assertEquals(16, all.size(), "A and B of q and v in 2 layers, for both members");
      Map<String, ?> up = s.uplink(all);
      assertEquals(8, up.size());
      assertTrue(
          up.keySet().stream().allMatch(n -> n.startsWith("global/")), up.keySet().toString());
    }
  }

  /**
   * A module changed by one member gets that member's factors (their product is the member's, and
   * the stack's, whole change); a module changed by both gets both members' factors side by side,
   * whose product is the summed change up to float rounding (and whose rank is the sum of theirs);
   * a module changed by neither gets none.
   */
  @Test
  void factorsComeFromTheMembersThatChangeTheModule() {
    Map<String, String> query = Map.of("rank", "2", "targets", "query");
    Map<String, String> value = Map.of("rank", "2", "targets", "value");
    try (AdapterStack split =
            AdapterStack.create(
                List.of(
                    new AdapterStack.MemberSpec("q", "lora", query, false),
                    new AdapterStack.MemberSpec("v", "lora", value, false)),
                AdapterConformanceTest.encoder,
                7);
        AdapterStack both = dual();
        NDManager m = AdapterConformanceTest.root.newSubManager()) {
      AdapterConformanceTest.perturb(split, 3);
      AdapterConformanceTest.perturb(both, 3);
      NDArray x =
          m.randomNormal(new Shape(2, 5, AdapterConformanceTest.encoder.config().hiddenSize()));
      HookContext ctx = HookContext.of(false);
      for (int module : new int[] {0, 2}) {
        LowRankDelta f = split.linearLowRank(0, module, x, ctx);
        assertNotNull(f, "module " + module + " is changed by one member");
        assertArrayEquals(
            split.linearDelta(0, module, x, ctx).toFloatArray(),
            f.product().toFloatArray(),
            "module " + module);
        LowRankDelta sum = both.linearLowRank(0, module, x, ctx);
        assertNotNull(sum, "changed by both members");
        assertEquals(4, sum.up().getShape().get(0), "rank 2 + 2");
        float[] whole = both.linearDelta(0, module, x, ctx).toFloatArray();
        float[] product = sum.product().toFloatArray();
        for (int i = 0; i < whole.length; i++) {
          assertEquals(whole[i], product[i], 1e-5, "module " + module + " [" + i + "]");
        }
      }
      assertNull(split.linearLowRank(0, 1, x, ctx), "the key is changed by neither");
    }
  }

  static AdapterTensor find(Adapter a, String name) {
    return a.tensors().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }
}
