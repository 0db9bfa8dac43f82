package org.fedpeft.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Optional;
import org.fedpeft.io.JsonNumbers;

/**
 * The shape of a BERT-family encoder, as in a Hugging Face {@code config.json}.
 *
 * @param vocabSize number of token ids
 * @param hiddenSize width of the residual stream
 * @param numLayers number of transformer blocks
 * @param numHeads attention heads per block; must divide {@code hiddenSize}
 * @param intermediateSize width of the feed-forward layer
 * @param maxPositions number of learned position embeddings
 * @param typeVocabSize number of token-type (segment) embeddings
 * @param layerNormEps epsilon of every LayerNorm
 */
public record BertConfig(
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int intermediateSize,
    int maxPositions,
    int typeVocabSize,
    float layerNormEps) {

  /** Validates every field, naming the one that is wrong. */
  public BertConfig {
    positive("vocab_size", vocabSize);
    positive("hidden_size", hiddenSize);
    positive("num_hidden_layers", numLayers);
    positive("num_attention_heads", numHeads);
    positive("intermediate_size", intermediateSize);
    positive("max_position_embeddings", maxPositions);
    positive("type_vocab_size", typeVocabSize);
    if (hiddenSize % numHeads != 0) {
      throw new IllegalArgumentException(
          "hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numHeads);
    }
    if (!(layerNormEps > 0) || !Float.isFinite(layerNormEps)) {
      throw new IllegalArgumentException("layer_norm_eps must be positive, got " + layerNormEps);
    }
  }

  private static void positive(String field, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(field + " must be positive, got " + v);
    }
  }

  /** The width of one attention head. */
  public int headSize() {
    return hiddenSize / numHeads;
  }

  /** Parses a Hugging Face {@code config.json} of a BERT-family model. */
  public static BertConfig fromJson(Path file) throws IOException {
    JsonObject o = jsonObject(file);
    String type = string(o, "model_type", file, "bert");
    // Without a model_type, the architectures list is what says which model this is.
    if (!o.has("model_type") && o.has("architectures") && o.get("architectures").isJsonArray()) {
      for (JsonElement a : o.getAsJsonArray("architectures")) {
        String arch = a.isJsonPrimitive() ? a.getAsString() : a.toString();
        if (!arch.startsWith("Bert")) {
          throw new ModelFormatException(
              file
                  + ": no model_type, and architectures names "
                  + arch
                  + ", which is not a BERT model (supported: model_type bert)");
        }
      }
    }
    if (!type.equals("bert")) {
      throw new ModelFormatException(
          file + ": model_type \"" + type + "\" is not supported yet (supported: bert)");
    }
    String act = string(o, "hidden_act", file, "gelu");
    if (!act.equals("gelu")) {
      throw new ModelFormatException(
          file + ": hidden_act \"" + act + "\" is not supported (gelu only)");
    }
    // BERT's other position embeddings ("relative_key", "relative_key_query") add learned
    // relative-distance terms to the attention scores, which this encoder does not compute.
    String positions =
        o.has("position_embedding_type") && o.get("position_embedding_type").isJsonNull()
            ? "absolute" // transformers reads a null as absolute too
            : string(o, "position_embedding_type", file, "absolute");
    if (!positions.equals("absolute")) {
      throw new ModelFormatException(
          file
              + ": position_embedding_type \""
              + positions
              + "\" is not supported (absolute only)");
    }
    try {
      return new BertConfig(
          intField(o, "vocab_size", file),
          intField(o, "hidden_size", file),
          intField(o, "num_hidden_layers", file),
          intField(o, "num_attention_heads", file),
          intField(o, "intermediate_size", file),
          intField(o, "max_position_embeddings", file),
          o.has("type_vocab_size") ? intField(o, "type_vocab_size", file) : 2,
          o.has("layer_norm_eps") ? number(o, "layer_norm_eps", file).floatValue() : 1e-12f);
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * A model folder's JSON object file (config.json, sentence_bert_config.json,
   * tokenizer_config.json), refused naming the file ({@link org.fedpeft.io.JsonFiles#readObject})
   * when it is not UTF-8, not valid JSON or not an object, as transformers and
   * sentence-transformers could not read it either, or has a key twice (Python's {@code json.load}
   * would keep the last value); and, before it is read, when it holds more than {@link
   * org.fedpeft.io.JsonFiles#MAX_BYTES} bytes.
   */
  static JsonObject jsonObject(Path file) throws IOException {
    try {
      return org.fedpeft.io.JsonFiles.readObject(file, org.fedpeft.io.JsonFiles.MAX_BYTES);
    } catch (org.fedpeft.io.JsonFileException ex) {
      throw new ModelFormatException(file + ": " + ex.reason(), ex);
    }
  }

  /**
   * A model folder's JSON file, refused naming the file ({@link org.fedpeft.io.JsonFiles#read})
   * when it is not UTF-8 or not valid JSON, as Python's {@code json.load} could not read it either,
   * or has a key twice (which {@code json.load} would read as its last value); and, before it is
   * read, when it holds more than {@link org.fedpeft.io.JsonFiles#MAX_BYTES} bytes.
   */
  static JsonElement json(Path file) throws IOException {
    try {
      return org.fedpeft.io.JsonFiles.read(file, org.fedpeft.io.JsonFiles.MAX_BYTES);
    } catch (org.fedpeft.io.JsonFileException ex) {
      throw new ModelFormatException(file + ": " + ex.reason(), ex);
    }
  }

  /**
   * A JSON string field, {@code absent} when the field is not there; any other value (null, a
   * number, a list) is refused naming the file and the field, as transformers could not read it.
   */
  private static String string(JsonObject o, String name, Path file, String absent)
      throws IOException {
    JsonElement v = o.get(name);
    if (v == null) {
      return absent;
    }
    if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
      throw new ModelFormatException(
          file + ": field \"" + name + "\" is not a string: " + v + " (a JSON string is expected)");
    }
    return v.getAsString();
  }

  /** A whole JSON number ({@code 384} or {@code 384.0}; not {@code "384"} or {@code 384.5}). */
  private static int intField(JsonObject o, String name, Path file) throws IOException {
    if (!o.has(name)) {
      throw new ModelFormatException(file + ": missing field \"" + name + "\"");
    }
    try {
      return number(o, name, file).intValueExact();
    } catch (ArithmeticException e) {
      throw new ModelFormatException(
          file + ": field \"" + name + "\" is not an integer: " + o.get(name), e);
    }
  }

  /** A JSON number; a string holding digits is refused, as Hugging Face writes numbers. */
  private static BigDecimal number(JsonObject o, String name, Path file) throws IOException {
    JsonElement v = o.get(name);
    Optional<BigDecimal> n = JsonNumbers.of(v);
    if (n.isEmpty()) {
      throw new ModelFormatException(
          file + ": field \"" + name + "\" is not a number: " + v + " (a JSON number is expected)");
    }
    return n.get();
  }

  /** The number of parameters of the encoder (embeddings and blocks, no pooler). */
  public long parameterCount() {
    long h = hiddenSize;
    long emb = (long) vocabSize * h + (long) maxPositions * h + (long) typeVocabSize * h + 2 * h;
    long attn = 4 * (h * h + h) + 2 * h;
    long ffn = h * intermediateSize + intermediateSize + (long) intermediateSize * h + h + 2 * h;
    return emb + numLayers * (attn + ffn);
  }
}
