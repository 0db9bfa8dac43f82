package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.model.EncoderHooks;
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

  static AdapterTensor find(Adapter a, String name) {
    return a.tensors().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }
}
