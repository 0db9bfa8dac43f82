package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled model's sentence embeddings against ONNX Runtime running the original ONNX graph on
 * the same token ids, pooled as sentence-transformers pools (mean over the mask, L2 norm).
 */
class EmbeddingReferenceTest {

  static final List<String> TEXTS = texts();

  static PretrainedModel model;
  static NDManager root;
  static BertEncoder encoder;
  static TextTokenizer tokenizer;

  @BeforeAll
  static void load() throws Exception {
    model = PretrainedModel.bundledMiniLm();
    root = Engines.pytorch().newBaseManager();
    encoder = new BertEncoder(model.weights(), root);
    tokenizer = model.newTokenizer();
  }

  @AfterAll
  static void close() {
    tokenizer.close();
    encoder.close();
    root.close();
  }

  static List<String> texts() {
    List<String> t = new ArrayList<>();
    t.add("A");
    t.add("Hello, world!");
    t.add("The quick brown fox jumps over the lazy dog.");
    t.add("a small domesticated carnivorous mammal with soft fur");
    t.add("¿Dónde está la biblioteca? Ça va très bien, merci.");
    t.add("東京は日本の首都です。");
    t.add("Emoji: 😀🎉 and symbols ∑∫√ — plus “curly quotes”.");
    t.add("   leading and trailing spaces   ");
    t.add("ALL CAPS SENTENCE WITH NUMBERS 1234567890");
    t.add("punctuation!!! ??? ... ;;; ::: ((( ))) [[[ ]]] {{{ }}}");
    t.add("naïve café résumé coöperate façade jalapeño");
    t.add("Ein Satz auf Deutsch mit Umlauten: Größe, Übung, ärgerlich.");
    t.add("Привет, как дела? Это тест на кириллице.");
    t.add("x");
    t.add("federated learning keeps data on the client while adapters travel");
    t.add("tab\tseparated\tvalues and a\nnewline");
    t.add("URL https://example.org/path?query=1&b=2 and email a@b.co");
    t.add("unbelievably antidisestablishmentarianism supercalifragilistic");
    StringBuilder longText = new StringBuilder();
    for (int i = 0; i < 80; i++) {
      longText.append("word").append(i).append(" is part of a very long text; ");
    }
    t.add(longText.toString()); // far past 256 tokens: truncated
    StringBuilder longer = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      longer.append("the ");
    }
    t.add(longer.toString()); // exactly 400 words -> truncated at 256 tokens
    t.add("Short.");
    t.add("one two three four five six seven eight nine ten eleven twelve");
    return t;
  }

  /** Reference embeddings from ONNX Runtime, one text at a time (no padding involved). */
  static float[][] reference(List<String> texts) throws Exception {
    return reference(tokenizer, texts);
  }

  /** As {@link #reference(List)}, with the texts tokenized by {@code tokenizer}. */
  static float[][] reference(TextTokenizer tokenizer, List<String> texts) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] onnx;
    try (InputStream in =
        EmbeddingReferenceTest.class
            .getClassLoader()
            .getResourceAsStream("all-minilm-l6-v2.onnx")) {
      onnx = in.readAllBytes();
    }
    float[][] out = new float[texts.size()][];
    try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
      for (int i = 0; i < texts.size(); i++) {
        long[] ids = tokenizer.encode(texts.get(i));
        long[] mask = new long[ids.length];
        java.util.Arrays.fill(mask, 1);
        long[] types = new long[ids.length];
        long[] shape = {1, ids.length};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
        inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
        if (session.getInputNames().contains("token_type_ids")) {
          inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
        }
        try (OrtSession.Result r = session.run(inputs)) {
          float[][][] hidden = (float[][][]) r.get(0).getValue(); // (1, seq, hidden)
          out[i] = meanNormalize(hidden[0]);
        }
        inputs.values().forEach(OnnxTensor::close);
      }
    }
    return out;
  }

  static float[] meanNormalize(float[][] tokens) {
    int h = tokens[0].length;
    double[] sum = new double[h];
    for (float[] t : tokens) {
      for (int j = 0; j < h; j++) {
        sum[j] += t[j];
      }
    }
    double norm = 0;
    for (int j = 0; j < h; j++) {
      sum[j] /= tokens.length;
      norm += sum[j] * sum[j];
    }
    norm = Math.max(Math.sqrt(norm), 1e-12);
    float[] e = new float[h];
    for (int j = 0; j < h; j++) {
      e[j] = (float) (sum[j] / norm);
    }
    return e;
  }

  @Test
  void embeddingsMatchOnnxRuntime() throws Exception {
    assertTrue(TEXTS.size() >= 20);
    float[][] ref = reference(TEXTS);
    SentenceEmbedder embedder = new SentenceEmbedder(encoder, tokenizer, EncoderHooks.NONE);
    float[][] single = new float[TEXTS.size()][];
    for (int i = 0; i < TEXTS.size(); i++) {
      single[i] = embedder.embed(List.of(TEXTS.get(i)), 1)[0];
    }
    float[][] batched = embedder.embed(TEXTS, 8);
    double maxSingle = 0;
    double maxBatched = 0;
    for (int i = 0; i < TEXTS.size(); i++) {
      assertEquals(384, single[i].length);
      for (int j = 0; j < 384; j++) {
        maxSingle = Math.max(maxSingle, Math.abs(single[i][j] - ref[i][j]));
        maxBatched = Math.max(maxBatched, Math.abs(batched[i][j] - ref[i][j]));
      }
    }
    assertTrue(maxSingle <= 1e-4, "max |fedpeft - ORT| = " + maxSingle);
    assertTrue(maxBatched <= 1e-4, "max |fedpeft batched - ORT| = " + maxBatched);
  }

  @Test
  void longTextsAreTruncatedAt256Tokens() {
    assertEquals(256, tokenizer.encode(TEXTS.get(18)).length);
    assertEquals(256, tokenizer.encode(TEXTS.get(19)).length);
    assertTrue(tokenizer.encode("Short.").length < 10);
  }
}
