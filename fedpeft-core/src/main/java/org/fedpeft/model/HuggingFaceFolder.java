package org.fedpeft.model;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.SafetensorsFile;
import org.fedpeft.tensor.HostTensor;

/**
 * Hugging Face model folders of the BERT family: {@code config.json}, {@code model.safetensors} and
 * {@code tokenizer.json}; a sentence-transformers folder's {@code sentence_bert_config.json} gives
 * the maximum sequence length when present (otherwise 512, capped by the position table). Tensor
 * names may carry a {@code bert.} prefix; pooler and pre-training heads are ignored.
 */
public final class HuggingFaceFolder {

  private HuggingFaceFolder() {}

  /** Loads a model folder, naming the missing or malformed file on error. */
  public static PretrainedModel load(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new ModelFormatException(
          dir
              + ": not a model folder (expected a directory with config.json, model.safetensors"
              + " and tokenizer.json, or the name "
              + PretrainedModel.DEFAULT
              + ")");
    }
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        throw new ModelFormatException(
            dir.resolve(f)
                + ": missing (a model folder needs config.json,"
                + " model.safetensors and tokenizer.json)");
      }
    }
    BertConfig config = BertConfig.fromJson(dir.resolve("config.json"));
    Path weightsFile = dir.resolve("model.safetensors");
    SafetensorsFile st = Safetensors.read(weightsFile);
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    for (String name : st.names()) {
      String n = name.startsWith("bert.") ? name.substring(5) : name;
      if (n.startsWith("embeddings.") || n.startsWith("encoder.")) {
        if (n.equals("embeddings.position_ids")) {
          continue;
        }
        tensors.put(n, st.floatTensor(name));
      }
    }
    BertWeights weights;
    try {
      weights = new BertWeights(config, tensors, weightsFile.toString());
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(e.getMessage(), e);
    }
    int maxLen = Math.min(512, config.maxPositions());
    Path sbert = dir.resolve("sentence_bert_config.json");
    if (Files.isRegularFile(sbert)) {
      int declared;
      try {
        JsonObject o = JsonParser.parseString(Files.readString(sbert)).getAsJsonObject();
        declared = o.has("max_seq_length") ? o.get("max_seq_length").getAsInt() : maxLen;
      } catch (RuntimeException e) {
        throw new ModelFormatException(
            sbert + ": not valid JSON with an integer max_seq_length", e);
      }
      if (declared < 2) {
        throw new ModelFormatException(
            sbert
                + ": max_seq_length is "
                + declared
                + "; it must be at least 2 (the [CLS] and [SEP] tokens)");
      }
      maxLen = Math.min(config.maxPositions(), declared);
    }
    byte[] tokenizer = Files.readAllBytes(dir.resolve("tokenizer.json"));
    // Parsed now, so that a corrupt tokenizer.json stops every command before it starts work.
    new TextTokenizer(tokenizer, maxLen, dir.resolve("tokenizer.json").toString()).close();
    return new PretrainedModel(dir.getFileName().toString(), weights, tokenizer, maxLen);
  }

  /**
   * Writes a model as a Hugging Face folder (the files {@link #load} reads).
   *
   * @throws IllegalStateException if its weights no longer hold every tensor ({@link
   *     org.fedpeft.train.FrozenBase#model} drops those its encoder holds)
   */
  public static void save(PretrainedModel model, Path dir) throws IOException {
    BertConfig c = model.config();
    for (String name : BertWeights.expectedShapes(c).keySet()) {
      model.weights().get(name); // throws, saying why, for a tensor the weights no longer hold
    }
    Files.createDirectories(dir);
    JsonObject o = new JsonObject();
    o.addProperty("model_type", "bert");
    o.add("architectures", JsonParser.parseString("[\"BertModel\"]"));
    o.addProperty("vocab_size", c.vocabSize());
    o.addProperty("hidden_size", c.hiddenSize());
    o.addProperty("num_hidden_layers", c.numLayers());
    o.addProperty("num_attention_heads", c.numHeads());
    o.addProperty("intermediate_size", c.intermediateSize());
    o.addProperty("max_position_embeddings", c.maxPositions());
    o.addProperty("type_vocab_size", c.typeVocabSize());
    o.addProperty("layer_norm_eps", c.layerNormEps());
    o.addProperty("hidden_act", "gelu");
    AtomicFiles.writeString(dir.resolve("config.json"), o.toString());
    JsonObject sb = new JsonObject();
    sb.addProperty("max_seq_length", model.maxSeqLength());
    sb.addProperty("do_lower_case", false);
    AtomicFiles.writeString(dir.resolve("sentence_bert_config.json"), sb.toString());
    Safetensors.write(
        dir.resolve("model.safetensors"), model.weights().tensors(), Map.of("format", "pt"));
    AtomicFiles.write(dir.resolve("tokenizer.json"), model.tokenizerJson());
  }
}
