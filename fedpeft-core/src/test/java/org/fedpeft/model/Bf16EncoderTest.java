package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.fedpeft.engine.Engines;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.tensor.Vectors;
import org.fedpeft.train.FrozenBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled model with a bfloat16 frozen base ({@link Precision#BF16}): its sentence embeddings
 * against ONNX Runtime's float32 ones, the values it holds, and what it refuses.
 */
class Bf16EncoderTest {

  static PretrainedModel model;
  static NDManager root;
  static BertEncoder encoder;
  static TextTokenizer tokenizer;

  @BeforeAll
  static void load() throws Exception {
    model = PretrainedModel.bundledMiniLm();
    root = Engines.pytorch().newBaseManager();
    encoder = new BertEncoder(model.weights(), root, Precision.BF16);
    tokenizer = model.newTokenizer();
  }

  @AfterAll
  static void close() {
    tokenizer.close();
    encoder.close();
    root.close();
  }

  /**
   * The bound of issue 16: each frozen product rounds its input and output to bfloat16 (8
   * significant bits, relative error up to 2^-9), so the embeddings are no longer equal to ONNX
   * Runtime's to 1e-4 (as float32 is, {@link EmbeddingReferenceTest}), but must keep their
   * direction: cosine similarity >= 0.999 for every text, alone and in padded batches.
   */
  @Test
  void embeddingsKeepOnnxRuntimesDirection() throws Exception {
    List<String> texts = EmbeddingReferenceTest.TEXTS;
    float[][] ref = EmbeddingReferenceTest.reference(tokenizer, texts);
    SentenceEmbedder embedder = new SentenceEmbedder(encoder, tokenizer, EncoderHooks.NONE);
    float[][] batched = embedder.embed(texts, 8);
    double worst = 1;
    double worstMaxAbs = 0;
    for (int i = 0; i < texts.size(); i++) {
      float[] single = embedder.embed(List.of(texts.get(i)), 1)[0];
      assertEquals(384, single.length);
      for (float[] e : new float[][] {single, batched[i]}) {
        double c = Vectors.cosine(e, ref[i]);
        assertTrue(c >= 0.999, "text " + i + ": cosine " + c + " with ONNX Runtime");
        worst = Math.min(worst, c);
        for (int j = 0; j < e.length; j++) {
          worstMaxAbs = Math.max(worstMaxAbs, Math.abs(e[j] - ref[i][j]));
        }
      }
    }
    System.out.println(
        "bf16 vs ONNX Runtime fp32: worst cosine "
            + worst
            + ", max |difference| "
            + worstMaxAbs
            + " over "
            + texts.size()
            + " texts");
  }

  /** What is held is each float32 value rounded to the nearest bfloat16 (ties to even). */
  @Test
  void frozenValuesAreTheFloat32WeightsRoundedToBfloat16() {
    for (String name :
        List.of(
            "encoder.layer.0.attention.self.query.weight",
            "encoder.layer.2.attention.self.key.bias",
            "encoder.layer.3.attention.self.value.weight",
            "encoder.layer.4.attention.output.dense.weight",
            "encoder.layer.5.intermediate.dense.bias",
            "encoder.layer.1.output.dense.weight",
            "embeddings.word_embeddings.weight")) {
      HostTensor fp32 = model.weights().get(name);
      HostTensor held = encoder.frozenValues(name);
      assertArrayEquals(fp32.shape(), held.shape(), name);
      float[] expected = new float[fp32.size()];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = roundToBf16(fp32.data()[i]);
      }
      assertArrayEquals(expected, held.data(), name);
      assertTrue(encoder.bf16TensorNames().contains(name));
    }
    // LayerNorm and the position embeddings stay float32, unchanged.
    for (String name :
        List.of(
            "encoder.layer.3.output.LayerNorm.weight", "embeddings.position_embeddings.weight")) {
      assertArrayEquals(model.weights().get(name).data(), encoder.frozenValues(name).data());
      assertArrayEquals(
          model.weights().get(name).data(), encoder.weight(name).toFloatArray(), name);
      assertFalse(encoder.bf16TensorNames().contains(name));
    }
    assertEquals(6 * 12 + 1, encoder.bf16TensorNames().size());
  }

  /** Float32 to bfloat16 with round-to-nearest-even, widened back (finite values). */
  static float roundToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(rounded & 0xFFFF0000);
  }

  @Test
  void theBfloat16TensorsCannotBeHandedOutAsArrays() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> encoder.linearWeight(2, 4));
    assertTrue(
        e.getMessage().startsWith("changing encoder.layer.2.intermediate.dense"), e.getMessage());
    assertTrue(e.getMessage().contains("model.precision = \"fp32\""), e.getMessage());
    e =
        assertThrows(
            IllegalStateException.class, () -> encoder.weight("embeddings.word_embeddings.weight"));
    assertTrue(e.getMessage().contains("frozenValues"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> encoder.weight("no.such.tensor"));
    assertEquals(new ai.djl.ndarray.types.Shape(1536, 384), encoder.linearShape(5, 4));
    assertEquals(new ai.djl.ndarray.types.Shape(384, 1536), encoder.linearShape(0, 5));
    assertEquals(Precision.BF16, encoder.precision());
  }

  /**
   * A FrozenBase keeps neither libtorch's float32 copy of the tensors its encoder holds in bfloat16
   * nor, in either precision, the Java heap's copy of any tensor; the load through {@link
   * ModelChoice} does not share the cached model, and {@link BertEncoder#frozenValues} still gives
   * every tensor's values.
   */
  @Test
  void frozenBaseDropsTheJavaCopies() throws Exception {
    PretrainedModel pm = PretrainedModel.load(new ModelChoice(PretrainedModel.DEFAULT, "bf16"));
    assertNotSame(model.weights(), pm.weights());
    assertEquals("bf16", pm.precision().describe());
    try (FrozenBase base = new FrozenBase(pm)) {
      assertEquals(Precision.BF16, base.encoder().precision());
      assertTrue(base.model().weights().tensors().isEmpty());
      assertEquals(model.weights().tensors().keySet(), base.encoder().heldTensorNames());
      assertTrue(model.weights().tensors().keySet().containsAll(base.encoder().bf16TensorNames()));
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> base.model().weights().get("encoder.layer.0.output.dense.weight"));
      assertTrue(e.getMessage().contains("holds it inside libtorch"), e.getMessage());
      // Held in float32: the values as loaded.
      String ln = "encoder.layer.0.output.LayerNorm.bias";
      assertArrayEquals(model.weights().get(ln).data(), base.encoder().frozenValues(ln).data());
    }
    PretrainedModel fp = PretrainedModel.load(ModelChoice.of(PretrainedModel.DEFAULT));
    assertNotSame(model.weights(), fp.weights());
    try (FrozenBase base = new FrozenBase(fp)) {
      assertEquals(Precision.FP32, base.encoder().precision());
      assertTrue(base.encoder().bf16TensorNames().isEmpty());
      assertTrue(base.model().weights().tensors().isEmpty());
      assertEquals(model.weights().tensors().keySet(), base.encoder().heldTensorNames());
      for (String name : model.weights().tensors().keySet()) {
        assertArrayEquals(
            model.weights().get(name).data(), base.encoder().frozenValues(name).data(), name);
      }
      assertThrows(
          IllegalStateException.class,
          () -> base.model().weights().get("embeddings.word_embeddings.weight"));
    }
  }
}
