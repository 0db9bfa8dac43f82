package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.TinyModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * QA: adapter sizes set absurdly high ran out of memory or failed deep inside (a negative array
 * size) instead of naming the option. Each registered method's size options are bounded where the
 * model gives a natural bound, checked when the adapter is made on the model (so simulate, train
 * and info all refuse), and the message names the method the user chose. The tiny model is 32 wide
 * (every linear module of the attention is 32 x 32).
 */
class AdapterSizeBoundsTest {

  static NDManager root;
  static BertEncoder encoder;

  @BeforeAll
  static void setUp() throws Exception {
    root = Engines.pytorch().newBaseManager();
    encoder = new BertEncoder(TinyModels.tiny(5).weights(), root);
  }

  @AfterAll
  static void tearDown() {
    encoder.close();
    root.close();
  }

  private static String refused(String method, Map<String, String> options) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AdapterRegistry.get(method).create(options, encoder, 1).close());
    return e.getMessage();
  }

  private static void accepted(String method, Map<String, String> options) {
    AdapterRegistry.get(method).create(options, encoder, 1).close();
  }

  /**
   * fedlora, fedsa-lora and feddpa reuse LoRA: the rank bound named lora, not the user's method.
   */
  @Test
  void theLoraRankBoundNamesTheMethodInUse() {
    for (String method : new String[] {"lora", "fedlora", "fedsa-lora", "feddpa"}) {
      String m = refused(method, Map.of("rank", "33"));
      assertTrue(m.startsWith(method + ": option 'rank' = 33 is more than"), m);
      assertTrue(m.endsWith("give rank <= 32"), m);
      accepted(method, Map.of("rank", "32"));
    }
  }

  /**
   * Ravan and Fed-SB with init = normal (or a factors file) had no rank bound. Fed-SB's refusal
   * named Ravan's update B_i H_i A_i (QA of other shapes, 5 December); it names its own, B R A.
   */
  @Test
  void ravanRankIsBoundedUnderEveryInit() {
    for (String method : new String[] {"ravan", "fed-sb"}) {
      String m = refused(method, Map.of("init", "normal", "rank", "33", "targets", "query"));
      assertEquals(
          method
              + ": option 'rank' = 33 is more than encoder.layer.0.attention.self.query allows (32"
              + " x 32): "
              + (method.equals("ravan") ? "a head's update B_i H_i A_i" : "the update B R A")
              + " has rank at most min(out, in) = 32, so a larger rank only costs memory; give"
              + " rank <= 32",
          m);
      accepted(method, Map.of("init", "normal", "rank", "32", "targets", "query"));
    }
    // the orthonormal inits keep their own message
    String m = refused("ravan", Map.of("heads", "2", "rank", "17", "targets", "query"));
    assertTrue(
        m.startsWith(
            "ravan: option 'rank' = 17 with heads = 2 is too large for init = gram-schmidt: it"
                + " needs heads * rank = 34"),
        m);
    // heads * rank too large for one array (it overflowed an int and failed deep inside)
    m =
        refused(
            "ravan",
            Map.of("init", "normal", "heads", "100000000", "rank", "32", "targets", "query"));
    assertTrue(
        m.startsWith(
            "ravan: option 'rank' = 32 with heads = 100000000: heads * rank = 3200000000 is too"
                + " large for"),
        m);
    assertTrue(m.endsWith("give heads * rank <= " + Integer.MAX_VALUE / 32), m);
  }

  /** feddpa's instances: its k x d anchors overflowed an int array size. */
  @Test
  void fedDpaInstancesAreBounded() {
    String m = refused("feddpa", Map.of("instances", "100000000"));
    assertTrue(m.startsWith("feddpa: option 'instances' = 100000000 is too large"), m);
    assertTrue(m.contains("give instances <= " + Integer.MAX_VALUE / 32), m);
  }

  /** softembed's rank: at most the hidden size with form lowrank; mlp may be wider than d. */
  @Test
  void softEmbedRankIsBounded() {
    String m = refused("softembed", Map.of("form", "lowrank", "rank", "33"));
    assertEquals(
        "softembed: option 'rank' = 33 is more than form = lowrank allows on this model (hidden"
            + " size 32): U = P Q (d x d) has rank at most d = 32, so a larger rank only costs"
            + " memory; give rank <= 32",
        m);
    accepted("softembed", Map.of("form", "lowrank", "rank", "32"));
    m = refused("softembed", Map.of("form", "mlp", "rank", "100000000"));
    assertTrue(m.startsWith("softembed: option 'rank' = 100000000 is too large for form = mlp"), m);
    accepted("softembed", Map.of("form", "mlp", "rank", "64"));
  }
}
