package org.fedpeft.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.io.Sha256;
import org.fedpeft.tensor.HostTensor;

/**
 * The frozen weights of a BERT encoder, keyed by Hugging Face parameter names without the {@code
 * bert.} prefix (e.g. {@code encoder.layer.0.attention.self.query.weight}). Linear weights are
 * stored as (out, in), as in PyTorch.
 */
public final class BertWeights {

  /**
   * The six adaptable linear modules of one block, relative to {@code encoder.layer.N.}, in block
   * order: the one list of them ({@link org.fedpeft.peft.PeftNames} derives PEFT's module keys from
   * it).
   */
  public static final List<String> LINEAR_MODULES =
      List.of(
          "attention.self.query",
          "attention.self.key",
          "attention.self.value",
          "attention.output.dense",
          "intermediate.dense",
          "output.dense");

  private final BertConfig config;
  private final Map<String, HostTensor> tensors;
  private final Map<String, String> dropped; // name -> why it is no longer held
  private final String sha256; // of every tensor as loaded, before any was dropped

  private BertWeights(
      BertConfig config,
      Map<String, HostTensor> tensors,
      Map<String, String> dropped,
      String sha256) {
    this.config = config;
    this.tensors = tensors;
    this.dropped = dropped;
    this.sha256 = sha256;
  }

  /**
   * Checks that the weights agree with the config (hidden size, number of layers), that every
   * tensor the encoder needs is present with the right shape, and that every value is finite.
   *
   * @throws IllegalArgumentException naming the disagreeing config field, the first missing or
   *     misshapen tensor, or the first tensor holding NaN or an infinity
   */
  public BertWeights(BertConfig config, Map<String, HostTensor> tensors, String source) {
    this.config = config;
    HostTensor words = tensors.get("embeddings.word_embeddings.weight");
    if (words != null && words.shape().length == 2 && words.shape()[1] != config.hiddenSize()) {
      throw new IllegalArgumentException(
          source
              + ": the model config (config.json) says hidden_size = "
              + config.hiddenSize()
              + ", but the weights have hidden size "
              + words.shape()[1]
              + " (embeddings.word_embeddings.weight is "
              + Arrays.toString(words.shape())
              + ")");
    }
    int layers = layersIn(tensors);
    if (layers > 0 && layers != config.numLayers()) {
      throw new IllegalArgumentException(
          source
              + ": the model config (config.json) says num_hidden_layers = "
              + config.numLayers()
              + ", but the weights have "
              + (layers == 1
                  ? "1 layer (encoder.layer.0)"
                  : layers + " layers (encoder.layer.0 to encoder.layer." + (layers - 1) + ")"));
    }
    Map<String, HostTensor> kept = new LinkedHashMap<>();
    for (var e : expectedShapes(config).entrySet()) {
      HostTensor t = tensors.get(e.getKey());
      if (t == null) {
        throw new IllegalArgumentException(source + ": missing tensor " + e.getKey());
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new IllegalArgumentException(
            source
                + ": tensor "
                + e.getKey()
                + " has shape "
                + Arrays.toString(t.shape())
                + ", expected "
                + Arrays.toString(e.getValue()));
      }
      kept.put(e.getKey(), t);
    }
    this.tensors = Collections.unmodifiableMap(kept);
    this.dropped = Map.of();
    this.sha256 = digestFinite(config, kept, source);
  }

  /**
   * SHA-256 (hex) of the config and of every tensor's name, shape and float32 values, in name
   * order: two sets of weights that compute differently have different digests. Computed when the
   * weights were loaded, so {@link #without} keeps it.
   */
  public String sha256() {
    return sha256;
  }

  /**
   * {@link #sha256}'s digest, checking in the same pass over the values that each is finite (the
   * weights are read once, not twice).
   *
   * @throws IllegalArgumentException naming the first tensor, in name order, that holds NaN or an
   *     infinity, and the value's flat index
   */
  private static String digestFinite(
      BertConfig config, Map<String, HostTensor> tensors, String source) {
    MessageDigest md = Sha256.newDigest();
    md.update(config.toString().getBytes(StandardCharsets.UTF_8));
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (var e : new TreeMap<>(tensors).entrySet()) {
      md.update(
          (e.getKey() + Arrays.toString(e.getValue().shape())).getBytes(StandardCharsets.UTF_8));
      float[] data = e.getValue().data();
      for (int i = 0; i < data.length; ) {
        int n = Math.min(buf.capacity() / Float.BYTES, data.length - i);
        buf.clear();
        for (int j = i; j < i + n; j++) {
          float v = data[j];
          if (!Float.isFinite(v)) {
            throw new IllegalArgumentException(
                source
                    + ": tensor "
                    + e.getKey()
                    + " holds "
                    + v
                    + " at flat index "
                    + j
                    + "; the weights must be finite");
          }
          buf.putFloat(v);
        }
        md.update(buf.array(), 0, n * Float.BYTES);
        i += n;
      }
    }
    return Sha256.hex(md);
  }

  /**
   * These weights without the tensors {@code names}, which {@link #get} then refuses with {@code
   * why}; {@link #tensors} lists the rest. For a holder that has copied them elsewhere (an encoder,
   * inside libtorch) and need not keep their values on the Java heap.
   */
  public BertWeights without(java.util.Set<String> names, String why) {
    Map<String, HostTensor> kept = new LinkedHashMap<>(tensors);
    Map<String, String> gone = new LinkedHashMap<>(dropped);
    for (String n : names) {
      if (kept.remove(n) != null) {
        gone.put(n, why);
      }
    }
    return new BertWeights(
        config, Collections.unmodifiableMap(kept), Collections.unmodifiableMap(gone), sha256);
  }

  /** One more than the largest N of the {@code encoder.layer.N.} names (0 if there are none). */
  private static int layersIn(Map<String, HostTensor> tensors) {
    int layers = 0;
    String prefix = "encoder.layer.";
    for (String name : tensors.keySet()) {
      if (name.startsWith(prefix)) {
        int dot = name.indexOf('.', prefix.length());
        if (dot > prefix.length()) {
          try {
            layers = Math.max(layers, Integer.parseInt(name.substring(prefix.length(), dot)) + 1);
          } catch (NumberFormatException e) {
            // Not a numbered layer; the shape checks below report what is missing.
          }
        }
      }
    }
    return layers;
  }

  /**
   * A checkpoint's tensor name as the encoder names it: without the {@code bert.} prefix that a
   * task model (e.g. {@code BertForSequenceClassification}) puts before its encoder's tensors.
   */
  public static String withoutTaskModelPrefix(String name) {
    return name.startsWith("bert.") ? name.substring("bert.".length()) : name;
  }

  /** The name of a linear module of a block, e.g. {@code encoder.layer.3.attention.self.key}. */
  public static String linearName(int layer, String module) {
    return "encoder.layer." + layer + "." + module;
  }

  /**
   * The query, key and value projections of block {@code layer} as one: their weights stacked by
   * rows, (3 hidden x hidden), and their biases, (3 hidden), in that order.
   *
   * @param values a tensor by its name (these weights' {@link #get}, an encoder's frozen values)
   * @return the fused weight and the fused bias, row-major
   */
  public static float[][] fusedQkv(
      java.util.function.Function<String, HostTensor> values, int layer, int hidden) {
    float[] fw = new float[3 * hidden * hidden];
    float[] fb = new float[3 * hidden];
    for (int m = 0; m < 3; m++) {
      String name = linearName(layer, LINEAR_MODULES.get(m));
      System.arraycopy(
          values.apply(name + ".weight").data(), 0, fw, m * hidden * hidden, hidden * hidden);
      System.arraycopy(values.apply(name + ".bias").data(), 0, fb, m * hidden, hidden);
    }
    return new float[][] {fw, fb};
  }

  /** Every tensor name the encoder needs, with its shape, in a stable order. */
  public static Map<String, long[]> expectedShapes(BertConfig c) {
    long h = c.hiddenSize();
    long f = c.intermediateSize();
    Map<String, long[]> m = new LinkedHashMap<>();
    m.put("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h});
    m.put("embeddings.position_embeddings.weight", new long[] {c.maxPositions(), h});
    m.put("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), h});
    m.put("embeddings.LayerNorm.weight", new long[] {h});
    m.put("embeddings.LayerNorm.bias", new long[] {h});
    for (int i = 0; i < c.numLayers(); i++) {
      for (String mod : LINEAR_MODULES) {
        long out = mod.equals("intermediate.dense") ? f : h;
        long in = mod.equals("output.dense") ? f : h;
        m.put(linearName(i, mod) + ".weight", new long[] {out, in});
        m.put(linearName(i, mod) + ".bias", new long[] {out});
      }
      for (String ln : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
        m.put("encoder.layer." + i + "." + ln + ".weight", new long[] {h});
        m.put("encoder.layer." + i + "." + ln + ".bias", new long[] {h});
      }
    }
    return m;
  }

  public BertConfig config() {
    return config;
  }

  /**
   * The tensor of that name; throws naming it when absent.
   *
   * @throws IllegalStateException for a tensor {@link #without} dropped, with the reason
   */
  public HostTensor get(String name) {
    HostTensor t = tensors.get(name);
    if (t == null) {
      String why = dropped.get(name);
      if (why != null) {
        throw new IllegalStateException(name + " is no longer held here: " + why);
      }
      throw new IllegalArgumentException("no tensor named " + name);
    }
    return t;
  }

  /** All tensors in a stable order (without those {@link #without} dropped). */
  public Map<String, HostTensor> tensors() {
    return tensors;
  }
}
