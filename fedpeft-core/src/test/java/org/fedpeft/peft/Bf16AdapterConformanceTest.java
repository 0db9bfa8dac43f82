package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
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
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link AdapterConformanceTest}'s checks that concern the frozen base, with a bfloat16 base
 * ({@link Precision#BF16}), over the same method configurations: the adapted path (the
 * operator-by-operator block) and the base model's scripted blocks use the same bfloat16 products,
 * so a disabled adapter is still exactly the base model.
 */
class Bf16AdapterConformanceTest {

  static ConformanceFixture fixture;
  static NDManager root;
  static BertEncoder encoder;
  static TokenBatch batch;
  static EncodedExamples data;

  @BeforeAll
  static void setUp() throws Exception {
    fixture = new ConformanceFixture(Precision.BF16);
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

  @ParameterizedTest
  @MethodSource("org.fedpeft.peft.AdapterConformanceTest#methods")
  void disabledAdapterIsExactlyTheBaseModel(String method, Map<String, String> options) {
    float[] base = hidden(EncoderHooks.NONE);
    try (Adapter a = create(method, options, 1)) {
      AdapterConformanceTest.perturb(a, 5);
      assertNotEquals(base[0], hidden(a)[0], "a perturbed adapter must change the model");
      a.setEnabled(false);
      assertArrayEquals(base, hidden(a));
      a.setEnabled(true);
    }
  }

  /**
   * At init every method is the base model to the bit, except top-blocks: its trainable copies
   * compute in float32 from the base's bfloat16 values, so it differs by the base's bfloat16
   * rounding of the products (checked to be that small).
   */
  @ParameterizedTest
  @MethodSource("org.fedpeft.peft.AdapterConformanceTest#methods")
  void equalsBaseModelAtInit(String method, Map<String, String> options) {
    float[] base = hidden(EncoderHooks.NONE);
    try (Adapter a = create(method, options, 1)) {
      if (method.equals("top-blocks")) {
        float[] adapted = hidden(a);
        double max = 0;
        for (int i = 0; i < base.length; i++) {
          max = Math.max(max, Math.abs(adapted[i] - base[i]));
        }
        System.out.println("top-blocks " + options + " at init, bf16 base: max |diff| " + max);
        AdapterConformanceTest.assertClose(base, adapted, 1e-2, "top-blocks at init");
      } else {
        assertArrayEquals(base, hidden(a));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("org.fedpeft.peft.AdapterConformanceTest#methods")
  void trainingChangesOnlyTrainableTensors(String method, Map<String, String> options) {
    Map<String, HostTensor> frozenBefore = frozenValues();
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
    assertEquals(frozenBefore, frozenValues(), "frozen encoder values must not change");
  }

  /** The methods that merge into the frozen weights (with a float32 base). */
  static final java.util.Set<String> MERGING =
      java.util.Set.of("lora", "ravan", "fed-sb", "fedlora", "fedsa-lora");

  /**
   * Merging adds to the frozen weights in place, which a bfloat16 base refuses, saying why; methods
   * that never merge still say so.
   */
  @ParameterizedTest
  @MethodSource("org.fedpeft.peft.AdapterConformanceTest#methods")
  void mergeIsRefusedClearly(String method, Map<String, String> options) {
    try (Adapter a = create(method, options, 1)) {
      RuntimeException e = assertThrows(RuntimeException.class, () -> a.merge(encoder));
      if (MERGING.contains(method)) {
        assertEquals(IllegalStateException.class, e.getClass(), e.toString());
        assertTrue(e.getMessage().startsWith("merging a "), e.getMessage());
        assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
        assertTrue(e.getMessage().contains("model.precision = \"fp32\""), e.getMessage());
      } else {
        assertEquals(UnsupportedOperationException.class, e.getClass(), e.toString());
      }
    }
  }

  static Map<String, HostTensor> frozenValues() {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (String name : AdapterConformanceTest.encoderWeightNames()) {
      m.put(name, encoder.frozenValues(name));
    }
    return m;
  }
}
