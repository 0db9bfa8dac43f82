package org.fedpeft.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.JsonFileException;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.JsonNumbers;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.SafetensorsFile;
import org.fedpeft.tensor.HostTensor;

/**
 * Hugging Face model folders of the BERT family: {@code config.json}, {@code model.safetensors} (or
 * shards listed in {@code model.safetensors.index.json}; F32, F16 or BF16) and {@code
 * tokenizer.json}. The maximum sequence length is the one sentence-transformers uses: {@code
 * max_seq_length} of {@code sentence_bert_config.json}, else {@code model_max_length} of {@code
 * tokenizer_config.json}, else 512; capped by the position table. Tensor names may carry a {@code
 * bert.} prefix, and a LayerNorm's parameters may be named {@code gamma} and {@code beta} (older
 * checkpoints); pooler and pre-training heads are ignored. What fedpeft would otherwise compute
 * differently is refused, naming the file: a sentence-transformers folder whose {@code
 * modules.json} or pooling config declares anything but mean pooling (and Normalize), a {@code
 * do_lower_case} the tokenizer does not apply, a tokenizer with ids beyond {@code vocab_size}.
 */
public final class HuggingFaceFolder {

  /** The maximum sequence length of a folder that declares none. */
  private static final int DEFAULT_MAX_LENGTH = 512;

  /**
   * A declared length at least this large means "no limit" (transformers writes int(1e30)); no
   * position table is that long.
   */
  private static final long NO_LIMIT = Integer.MAX_VALUE;

  /**
   * The most bytes a tokenizer.json may hold: 256 MiB. It is read whole and parsed twice (strictly
   * by {@link JsonFiles}, whose tree serves the id and lower-case checks and {@link
   * TextTokenizer}'s word splitting, and by the tokenizers library), so a larger one is refused
   * before it is read rather than end in an OutOfMemoryError. BERT's is under a megabyte, and the
   * largest vocabularies on the Hugging Face Hub (the multilingual ones of a quarter of a million
   * tokens) a few tens of megabytes. The folder's other JSON files are capped by {@link
   * JsonFiles#MAX_BYTES}; its weights are not read whole and have no cap.
   */
  static final long MAX_TOKENIZER_BYTES = 256L << 20;

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
    requireFile(dir, "config.json");
    BertConfig config = BertConfig.fromJson(dir.resolve("config.json"));
    if (config.maxPositions() < 2) {
      throw new ModelFormatException(
          dir.resolve("config.json")
              + ": max_position_embeddings is "
              + config.maxPositions()
              + "; it must be at least 2 (a text is read with its [CLS] and [SEP] tokens)");
    }
    requireFile(dir, "tokenizer.json");
    Path tokenizerFile = dir.resolve("tokenizer.json");
    try {
      JsonFiles.requireAtMost(tokenizerFile, MAX_TOKENIZER_BYTES, "a tokenizer.json");
    } catch (JsonFileException e) {
      throw new ModelFormatException(tokenizerFile + ": " + e.reason(), e);
    }
    checkSentenceTransformerModules(dir, config);
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    String weightsSource = readWeights(dir, tensors);
    BertWeights weights;
    try {
      weights = new BertWeights(config, tensors, weightsSource);
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(e.getMessage(), e);
    }
    Path sbert = dir.resolve("sentence_bert_config.json");
    JsonObject sbertConfig = null;
    OptionalInt declared = OptionalInt.empty();
    if (Files.isRegularFile(sbert)) {
      sbertConfig = BertConfig.jsonObject(sbert);
      declared = length(sbertConfig, "max_seq_length", sbert);
    }
    if (declared.isEmpty()) {
      Path tokenizerConfig = dir.resolve("tokenizer_config.json");
      if (Files.isRegularFile(tokenizerConfig)) {
        declared =
            length(BertConfig.jsonObject(tokenizerConfig), "model_max_length", tokenizerConfig);
      }
    }
    int maxLen = Math.min(config.maxPositions(), declared.orElse(DEFAULT_MAX_LENGTH));
    JsonObject tokenizerJson;
    try {
      // As strictly as the folder's other JSON files (with a cap of its own), before the
      // tokenizers library, which keeps the last of a word written twice in the vocabulary.
      tokenizerJson = JsonFiles.readObject(tokenizerFile, MAX_TOKENIZER_BYTES);
    } catch (JsonFileException e) {
      throw new ModelFormatException(tokenizerFile + ": " + e.reason(), e);
    }
    byte[] tokenizer = Files.readAllBytes(tokenizerFile);
    // Parsed now, so that a corrupt tokenizer.json stops every command before it starts work.
    new TextTokenizer(tokenizer, tokenizerJson, maxLen, tokenizerFile.toString()).close();
    checkTokenIds(tokenizerFile, tokenizerJson, config);
    checkLowerCase(sbert, sbertConfig, tokenizerJson);
    return new PretrainedModel(
        folderName(dir),
        weights,
        tokenizer,
        maxLen,
        Precision.Choice.FP32,
        dir.toAbsolutePath().normalize());
  }

  /**
   * The name of the model in folder {@code dir} ({@link PretrainedModel#name}, which an adapter
   * records as its base model): the folder's own name, also when the path ends in {@code .} or
   * {@code ..} ({@code --model .} in the folder names it, not ".").
   */
  public static String folderName(Path dir) {
    Path name = dir.toAbsolutePath().normalize().getFileName();
    return name == null ? dir.toString() : name.toString();
  }

  private static final String NEEDS =
      "a model folder needs config.json, tokenizer.json and the weights as model.safetensors"
          + " (or shards listed in model.safetensors.index.json)";

  private static void requireFile(Path dir, String name) throws ModelFormatException {
    if (!Files.isRegularFile(dir.resolve(name))) {
      throw new ModelFormatException(dir.resolve(name) + ": missing (" + NEEDS + ")");
    }
  }

  /**
   * Reads the encoder's tensors ({@code embeddings.*} and {@code encoder.*}, a {@code bert.} prefix
   * dropped) from {@code model.safetensors}, or from the shards {@code
   * model.safetensors.index.json} lists; returns the file name to report problems with.
   */
  private static String readWeights(Path dir, Map<String, HostTensor> tensors) throws IOException {
    Path single = dir.resolve("model.safetensors");
    if (Files.isRegularFile(single)) {
      readEncoderTensors(single, tensors);
      return single.toString();
    }
    Path index = dir.resolve("model.safetensors.index.json");
    if (!Files.isRegularFile(index)) {
      String other = null;
      for (String f :
          List.of(
              "pytorch_model.bin",
              "pytorch_model.bin.index.json",
              "tf_model.h5",
              "flax_model.msgpack",
              "model.onnx",
              "onnx/model.onnx")) {
        if (Files.exists(dir.resolve(f))) {
          other = f;
          break;
        }
      }
      if (other != null) {
        throw new ModelFormatException(
            single
                + ": missing; the folder has its weights in "
                + other
                + ", which fedpeft does not read (it reads safetensors only: model.safetensors,"
                + " or shards listed in model.safetensors.index.json). With transformers"
                + " installed, AutoModel.from_pretrained(DIR).save_pretrained(DIR) writes"
                + " model.safetensors");
      }
      throw new ModelFormatException(single + ": missing (" + NEEDS + ")");
    }
    Set<String> shards = new TreeSet<>();
    JsonElement parsed = BertConfig.json(index);
    JsonElement map = parsed.isJsonObject() ? parsed.getAsJsonObject().get("weight_map") : null;
    if (map == null || !map.isJsonObject()) {
      throw notAnIndex(index, "it has no \"weight_map\" object");
    }
    for (var e : map.getAsJsonObject().entrySet()) {
      if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isString()) {
        throw notAnIndex(index, "tensor " + e.getKey() + " maps to " + e.getValue());
      }
      shards.add(e.getValue().getAsString());
    }
    if (shards.isEmpty()) {
      throw new ModelFormatException(index + ": its \"weight_map\" lists no tensors");
    }
    Path base = dir.toAbsolutePath().normalize();
    for (String shard : shards) {
      Path file = base.resolve(shard).normalize();
      if (!base.equals(file.getParent()) || !Files.isRegularFile(file)) {
        throw new ModelFormatException(
            index
                + ": \"weight_map\" names "
                + shard
                + ", which is not a file in "
                + dir
                + " (shards must sit next to the index)");
      }
      readEncoderTensors(file, tensors);
    }
    return index + " (" + String.join(", ", shards) + ")";
  }

  private static ModelFormatException notAnIndex(Path index, String why) {
    return new ModelFormatException(
        index
            + ": not a safetensors index (a JSON object whose \"weight_map\" maps tensor names to"
            + " file names): "
            + why);
  }

  private static void readEncoderTensors(Path file, Map<String, HostTensor> tensors)
      throws IOException {
    SafetensorsFile st = Safetensors.read(file);
    for (String name : st.names()) {
      String n = encoderName(name);
      if ((n.startsWith("embeddings.") || n.startsWith("encoder."))
          && !n.equals("embeddings.position_ids")) {
        if (tensors.put(n, st.floatTensor(name)) != null) {
          throw new ModelFormatException(
              file + ": tensor " + name + " is also in another weights file (or named twice)");
        }
      }
    }
  }

  /**
   * The name a checkpoint's tensor has in the encoder: without a {@code bert.} prefix, and with a
   * LayerNorm's {@code gamma} and {@code beta} read as its {@code weight} and {@code bias}, the
   * names of checkpoints converted from the original TensorFlow BERT (bert-base-uncased's {@code
   * model.safetensors} among them), which transformers renames the same way when it loads them.
   */
  private static String encoderName(String name) {
    String n = BertWeights.withoutTaskModelPrefix(name);
    if (n.endsWith(".LayerNorm.gamma")) {
      return n.substring(0, n.length() - "gamma".length()) + "weight";
    }
    if (n.endsWith(".LayerNorm.beta")) {
      return n.substring(0, n.length() - "beta".length()) + "bias";
    }
    return n;
  }

  /**
   * Refuses a tokenizer that can produce a token id outside the word-embedding table: the ids of
   * its vocabulary, added tokens and post-processor's special tokens must be below {@code
   * vocab_size}.
   */
  private static void checkTokenIds(Path file, JsonObject o, BertConfig config)
      throws ModelFormatException {
    long[] max = {-1};
    String[] token = {null};
    JsonElement model = o.get("model");
    if (model != null && model.isJsonObject()) {
      JsonElement vocab = model.getAsJsonObject().get("vocab");
      if (vocab != null && vocab.isJsonObject()) {
        for (var e : vocab.getAsJsonObject().entrySet()) {
          if (isNumber(e.getValue())) {
            note(max, token, e.getValue().getAsLong(), "\"" + e.getKey() + "\"");
          }
        }
      } else if (vocab != null && vocab.isJsonArray()) { // Unigram: [[piece, score], ...]
        int n = vocab.getAsJsonArray().size();
        if (n > 0) {
          note(max, token, n - 1, "piece " + (n - 1) + " of the Unigram vocabulary");
        }
      }
    }
    JsonElement added = o.get("added_tokens");
    if (added != null && added.isJsonArray()) {
      for (JsonElement t : added.getAsJsonArray()) {
        if (t.isJsonObject() && isNumber(t.getAsJsonObject().get("id"))) {
          JsonElement c = t.getAsJsonObject().get("content");
          note(
              max,
              token,
              t.getAsJsonObject().get("id").getAsLong(),
              c == null ? "an added token" : c.toString());
        }
      }
    }
    collectSpecialIds(o.get("post_processor"), max, token);
    if (max[0] >= config.vocabSize()) {
      throw new ModelFormatException(
          file
              + ": token "
              + token[0]
              + " has id "
              + max[0]
              + ", but config.json says vocab_size = "
              + config.vocabSize()
              + " (ids 0 to "
              + (config.vocabSize() - 1)
              + "): this tokenizer does not belong to these weights");
    }
  }

  private static boolean isNumber(JsonElement e) {
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber();
  }

  private static void note(long[] max, String[] token, long id, String what) {
    if (id > max[0]) {
      max[0] = id;
      token[0] = what;
    }
  }

  /**
   * The special-token ids a post-processor inserts: {@code ["[CLS]", 101]} pairs (BertProcessing,
   * RobertaProcessing) and {@code "ids": [...]} lists (TemplateProcessing), at any depth.
   */
  private static void collectSpecialIds(JsonElement e, long[] max, String[] token) {
    if (e == null) {
      return;
    }
    if (e.isJsonArray()) {
      var a = e.getAsJsonArray();
      if (a.size() == 2
          && a.get(0).isJsonPrimitive()
          && a.get(0).getAsJsonPrimitive().isString()
          && isNumber(a.get(1))) {
        note(max, token, a.get(1).getAsLong(), a.get(0).toString());
        return;
      }
      a.forEach(x -> collectSpecialIds(x, max, token));
    } else if (e.isJsonObject()) {
      for (var m : e.getAsJsonObject().entrySet()) {
        if (m.getKey().equals("ids") && m.getValue().isJsonArray()) {
          for (JsonElement id : m.getValue().getAsJsonArray()) {
            if (isNumber(id)) {
              note(max, token, id.getAsLong(), "a special token of the post_processor");
            }
          }
        } else {
          collectSpecialIds(m.getValue(), max, token);
        }
      }
    }
  }

  /**
   * A maximum sequence length field ({@code max_seq_length} of sentence_bert_config.json, {@code
   * model_max_length} of tokenizer_config.json): empty when absent, null, or at least 2^31 - 1 (as
   * transformers writes {@code int(1e30)} for a tokenizer without a limit); otherwise a whole JSON
   * number of at least 2, else refused naming the file and the field.
   */
  private static OptionalInt length(JsonObject o, String field, Path file) throws IOException {
    Optional<BigDecimal> n = wholeNumber(o, field, file);
    if (n.isEmpty() || n.get().compareTo(BigDecimal.valueOf(NO_LIMIT)) >= 0) {
      return OptionalInt.empty();
    }
    int length = n.get().intValueExact();
    if (length < 2) {
      throw new ModelFormatException(
          file
              + ": "
              + field
              + " is "
              + length
              + "; it must be at least 2 (the [CLS] and [SEP] tokens)");
    }
    return OptionalInt.of(length);
  }

  /**
   * A whole-number field of {@code o}, read from {@code file}: empty when absent or null; any other
   * value than a whole JSON number is refused naming the file and the field.
   */
  private static Optional<BigDecimal> wholeNumber(JsonObject o, String field, Path file)
      throws ModelFormatException {
    JsonElement v = o.get(field);
    if (v == null || v.isJsonNull()) {
      return Optional.empty();
    }
    Optional<BigDecimal> n = JsonNumbers.of(v);
    if (n.isEmpty() || n.get().stripTrailingZeros().scale() > 0) {
      throw new ModelFormatException(
          file + ": " + field + " is " + v + "; it must be a whole JSON number");
    }
    return n;
  }

  /**
   * sentence-transformers lower-cases texts itself when {@code sentence_bert_config.json} says
   * {@code do_lower_case: true}; fedpeft passes texts to {@code tokenizer.json} as they are, so
   * such a folder is accepted only when the tokenizer lower-cases anyway.
   */
  private static void checkLowerCase(Path sbert, JsonObject sbertConfig, JsonObject tokenizer)
      throws ModelFormatException {
    if (sbertConfig == null) {
      return;
    }
    if (!flag(sbertConfig, "do_lower_case", sbert)) {
      return;
    }
    boolean tokLowers;
    try {
      tokLowers = lowerCases(tokenizer.get("normalizer"));
    } catch (RuntimeException e) {
      tokLowers = false;
    }
    if (!tokLowers) {
      throw new ModelFormatException(
          sbert
              + ": do_lower_case is true, but the normalizer of "
              + sbert.resolveSibling("tokenizer.json")
              + " does not lower-case: sentence-transformers lower-cases texts before tokenizing,"
              + " fedpeft does not, so it would embed other tokens (supported: do_lower_case"
              + " false, or a tokenizer.json that lower-cases)");
    }
  }

  private static boolean lowerCases(JsonElement n) {
    if (n == null || !n.isJsonObject()) {
      return false;
    }
    JsonObject o = n.getAsJsonObject();
    String type = o.has("type") ? o.get("type").getAsString() : "";
    if (type.equals("Lowercase")) {
      return true;
    }
    if (type.equals("BertNormalizer")) {
      return !o.has("lowercase") || o.get("lowercase").getAsBoolean();
    }
    if (type.equals("Sequence") && o.has("normalizers")) {
      for (JsonElement m : o.getAsJsonArray("normalizers")) {
        if (lowerCases(m)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A sentence-transformers flag ({@code do_lower_case}, {@code pooling_mode_*}) of {@code o}, read
   * from {@code file}: false when absent or null; a value other than true or false is refused
   * naming the file and the field (Python takes 1 or "false" as true, Gson's getAsBoolean as false,
   * so neither is read as one or the other).
   */
  private static boolean flag(JsonObject o, String field, Path file) throws ModelFormatException {
    JsonElement v = o.get(field);
    if (v == null || v.isJsonNull()) {
      return false;
    }
    if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean()) {
      throw new ModelFormatException(
          file + ": " + field + " is " + v + "; it must be true or false");
    }
    return v.getAsBoolean();
  }

  private static final String ST = "sentence_transformers.models.";

  /**
   * Refuses a sentence-transformers folder whose embeddings are not what fedpeft computes: a
   * Transformer, mean pooling, then (optionally) Normalize. Other pooling modes (CLS, max, ...) and
   * other modules (Dense, ...) would be silently ignored otherwise. fedpeft always L2-normalises,
   * so without a Normalize module its vectors differ from sentence-transformers' in length only
   * (cosine similarities agree).
   */
  private static void checkSentenceTransformerModules(Path dir, BertConfig config)
      throws IOException {
    Path modules = dir.resolve("modules.json");
    List<String> poolingDirs = new ArrayList<>();
    if (Files.isRegularFile(modules)) {
      JsonElement parsed = BertConfig.json(modules);
      if (!parsed.isJsonArray()) {
        throw new ModelFormatException(modules + ": not a JSON list of modules");
      }
      JsonArray list = parsed.getAsJsonArray();
      for (int i = 0; i < list.size(); i++) {
        String type;
        String path;
        try {
          JsonObject m = list.get(i).getAsJsonObject();
          type = m.get("type").getAsString();
          path = m.has("path") ? m.get("path").getAsString() : "";
        } catch (RuntimeException e) {
          throw new ModelFormatException(
              modules + ": module " + i + " has no string \"type\" and \"path\"", e);
        }
        boolean ok =
            switch (type) {
              case ST + "Transformer" -> path.isEmpty();
              case ST + "Pooling" -> {
                poolingDirs.add(path);
                yield true;
              }
              case ST + "Normalize" -> true;
              default -> false;
            };
        if (!ok) {
          throw new ModelFormatException(
              modules
                  + ": module "
                  + i
                  + " ("
                  + type
                  + (path.isEmpty() ? "" : ", path " + path)
                  + ") is not supported: fedpeft embeds texts as sentence-transformers'"
                  + " Transformer (with its files in this folder), mean Pooling and Normalize"
                  + " modules do, and would ignore it");
        }
      }
    } else if (Files.isRegularFile(dir.resolve("1_Pooling/config.json"))) {
      poolingDirs.add("1_Pooling");
    }
    for (String p : poolingDirs) {
      Path file = dir.resolve(p).resolve("config.json");
      if (!Files.isRegularFile(file)) {
        continue; // sentence-transformers' defaults: mean pooling
      }
      JsonObject o = BertConfig.jsonObject(file);
      for (var e : o.entrySet()) {
        String k = e.getKey();
        if (k.startsWith("pooling_mode_")
            && !k.equals("pooling_mode_mean_tokens")
            && flag(o, k, file)) {
          throw new ModelFormatException(
              file
                  + ": "
                  + k
                  + " is true; fedpeft pools by the mean over the tokens only (supported:"
                  + " pooling_mode_mean_tokens true, every other pooling_mode_* false)");
        }
      }
      if (o.has("pooling_mode_mean_tokens")
          && !o.get("pooling_mode_mean_tokens").isJsonNull()
          && !flag(o, "pooling_mode_mean_tokens", file)) {
        throw new ModelFormatException(
            file
                + ": pooling_mode_mean_tokens is false; fedpeft pools by the mean over the"
                + " tokens only");
      }
      Optional<BigDecimal> dim = wholeNumber(o, "word_embedding_dimension", file);
      if (dim.isPresent() && dim.get().compareTo(BigDecimal.valueOf(config.hiddenSize())) != 0) {
        throw new ModelFormatException(
            file
                + ": word_embedding_dimension is "
                + o.get("word_embedding_dimension")
                + ", but config.json says hidden_size = "
                + config.hiddenSize());
      }
    }
  }

  /**
   * Writes a model as a Hugging Face folder (the files {@link #load} reads), replacing {@code dir}
   * whole ({@link AtomicFiles#writeFolder}): a failure or crash part-way leaves the folder as it
   * was, never the config or weights of one model beside the tokenizer of another.
   *
   * @throws IllegalStateException if its weights no longer hold every tensor ({@link
   *     org.fedpeft.train.FrozenBase#model} drops those its encoder holds)
   */
  public static void save(PretrainedModel model, Path dir) throws IOException {
    BertConfig c = model.config();
    for (String name : BertWeights.expectedShapes(c).keySet()) {
      model.weights().get(name); // throws, saying why, for a tensor the weights no longer hold
    }
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
    JsonObject sb = new JsonObject();
    sb.addProperty("max_seq_length", model.maxSeqLength());
    sb.addProperty("do_lower_case", false);
    AtomicFiles.writeFolder(
        dir,
        folder -> {
          AtomicFiles.writeString(folder.resolve("config.json"), o.toString());
          AtomicFiles.writeString(folder.resolve("sentence_bert_config.json"), sb.toString());
          Safetensors.write(
              folder.resolve("model.safetensors"),
              model.weights().tensors(),
              Map.of("format", "pt"));
          AtomicFiles.write(folder.resolve("tokenizer.json"), model.tokenizerJson());
        });
  }
}
