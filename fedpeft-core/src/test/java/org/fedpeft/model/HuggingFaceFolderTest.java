package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedpeft.engine.Engines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HuggingFaceFolderTest {

  @TempDir Path tmp;

  /** The tiny test model (seed 4) saved as a Hugging Face folder {@code tmp/name}. */
  private Path savedTiny(String name) throws IOException {
    Path dir = tmp.resolve(name);
    HuggingFaceFolder.save(TinyModels.tiny(4), dir);
    return dir;
  }

  private static com.google.gson.JsonObject json(Path file) throws IOException {
    return com.google.gson.JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  @Test
  void bundledModelSavedAsFolderGivesTheSameEmbeddings() throws Exception {
    PretrainedModel bundled = PretrainedModel.bundledMiniLm();
    Path dir = tmp.resolve("minilm");
    HuggingFaceFolder.save(bundled, dir);
    PretrainedModel loaded = PretrainedModel.load(dir.toString());
    assertEquals(bundled.config(), loaded.config());
    assertEquals(256, loaded.maxSeqLength());
    List<String> texts = List.of("a folder on disk", "the same model, read back");
    assertArrayEquals(embed(bundled, texts), embed(loaded, texts));
  }

  @Test
  void theDigestFollowsTheWeightsAndTokenizerNotTheFolderOrPrecision() throws Exception {
    PretrainedModel tiny = TinyModels.tiny(4);
    PretrainedModel again = HuggingFaceFolder.load(savedTiny("digest-a"));
    assertEquals(tiny.sha256(), again.sha256());
    assertEquals(
        tiny.sha256(),
        again
            .withPrecision(Precision.choose("bf16"))
            .without(java.util.Set.of("embeddings.word_embeddings.weight"), "held elsewhere")
            .sha256());
    assertTrue(!tiny.sha256().equals(TinyModels.tiny(5).sha256()), "another seed");
    var changed = new java.util.LinkedHashMap<>(tiny.weights().tensors());
    org.fedpeft.tensor.HostTensor ln = changed.get("embeddings.LayerNorm.weight").copy();
    ln.data()[0] = Math.nextUp(ln.data()[0]);
    changed.put("embeddings.LayerNorm.weight", ln);
    PretrainedModel oneUlp =
        new PretrainedModel(
            tiny.name(),
            new BertWeights(tiny.config(), changed, "test"),
            tiny.tokenizerJson(),
            tiny.maxSeqLength());
    assertTrue(!tiny.sha256().equals(oneUlp.sha256()), "one value one ulp apart");
  }

  /**
   * A folder's load parses its tokenizer.json strictly once, in {@link HuggingFaceFolder#load},
   * whose tree the tokenizer built there to try the bytes reuses for its word splitting. Fails on
   * the old code, whose tokenizer parsed the bytes strictly again.
   */
  @Test
  void aFolderLoadParsesItsTokenizerJsonStrictlyOnce() throws Exception {
    Path dir = savedTiny("one-parse");
    long before = TextTokenizer.STRICT_PARSES.get();
    PretrainedModel loaded = HuggingFaceFolder.load(dir);
    assertEquals(before, TextTokenizer.STRICT_PARSES.get(), "the tokenizer parsed the bytes again");
    loaded.newTokenizer().close();
    assertEquals(
        before + 1,
        TextTokenizer.STRICT_PARSES.get(),
        "a tokenizer given the bytes alone parses them");
  }

  @Test
  void bertPrefixedNamesAndExtraTensorsAreAccepted() throws Exception {
    PretrainedModel tiny = TinyModels.tiny(4);
    Path dir = tmp.resolve("tiny");
    HuggingFaceFolder.save(tiny, dir);
    // Rewrite the weights with the "bert." prefix of BertForSequenceClassification checkpoints.
    var prefixed = new java.util.LinkedHashMap<String, org.fedpeft.tensor.HostTensor>();
    tiny.weights().tensors().forEach((k, v) -> prefixed.put("bert." + k, v));
    prefixed.put("classifier.weight", org.fedpeft.tensor.HostTensor.zeros(2, 32));
    org.fedpeft.io.Safetensors.write(
        dir.resolve("model.safetensors"), prefixed, java.util.Map.of());
    PretrainedModel loaded = HuggingFaceFolder.load(dir);
    assertEquals(tiny.weights().tensors(), loaded.weights().tensors());
  }

  /**
   * QA of a user's model folder, 4 December: bert-base-uncased's own {@code model.safetensors}
   * names its LayerNorms' parameters {@code gamma} and {@code beta} (as converted from TensorFlow),
   * which transformers reads as {@code weight} and {@code bias}; fedpeft refused the folder as
   * "missing tensor embeddings.LayerNorm.weight".
   */
  @Test
  void layerNormGammaAndBetaAreReadAsWeightAndBias() throws Exception {
    PretrainedModel tiny = TinyModels.tiny(4);
    Path dir = tmp.resolve("gamma-beta");
    HuggingFaceFolder.save(tiny, dir);
    var renamed = new java.util.LinkedHashMap<String, org.fedpeft.tensor.HostTensor>();
    tiny.weights()
        .tensors()
        .forEach(
            (k, v) ->
                renamed.put(
                    "bert."
                        + k.replace("LayerNorm.weight", "LayerNorm.gamma")
                            .replace("LayerNorm.bias", "LayerNorm.beta"),
                    v));
    assertTrue(renamed.containsKey("bert.embeddings.LayerNorm.gamma"), renamed.keySet().toString());
    org.fedpeft.io.Safetensors.write(dir.resolve("model.safetensors"), renamed, java.util.Map.of());
    PretrainedModel loaded = HuggingFaceFolder.load(dir);
    assertEquals(tiny.weights().tensors(), loaded.weights().tensors());
  }

  @Test
  void missingFilesAndTensorsAreNamed() throws Exception {
    PretrainedModel tiny = TinyModels.tiny(4);
    Path dir = tmp.resolve("broken");
    HuggingFaceFolder.save(tiny, dir);
    Files.delete(dir.resolve("tokenizer.json"));
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());

    HuggingFaceFolder.save(tiny, dir);
    var partial = new java.util.LinkedHashMap<>(tiny.weights().tensors());
    partial.remove("encoder.layer.1.output.dense.weight");
    org.fedpeft.io.Safetensors.write(dir.resolve("model.safetensors"), partial, java.util.Map.of());
    e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(e.getMessage().contains("encoder.layer.1.output.dense.weight"), e.getMessage());
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());

    Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 32}");
    e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("vocab_size"));

    e = assertThrows(IOException.class, () -> PretrainedModel.load(tmp.resolve("nope").toString()));
    assertTrue(e.getMessage().contains("nope"));
  }

  /** Issue 15: "a model config.json that declares 3 layers while the weights have 6". */
  @Test
  void configJsonDeclaringFewerLayersThanTheWeightsIsRefused() throws Exception {
    Path dir = savedTiny("layers");
    int layers = TinyModels.tiny(4).config().numLayers();
    assertTrue(layers >= 2, "the tiny model needs 2 layers for this test");
    com.google.gson.JsonObject cfg = json(dir.resolve("config.json"));
    cfg.addProperty("num_hidden_layers", layers - 1);
    Files.writeString(dir.resolve("config.json"), cfg.toString());
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(
        e.getMessage().contains("num_hidden_layers = " + (layers - 1))
            && e.getMessage().contains("weights have " + layers + " layers"),
        e.getMessage());
  }

  /** Issue 15: a config.json whose hidden size disagrees with the weights is refused. */
  @Test
  void configJsonHiddenSizeDisagreeingWithTheWeightsIsRefused() throws Exception {
    Path dir = savedTiny("hidden");
    int hidden = TinyModels.tiny(4).config().hiddenSize();
    com.google.gson.JsonObject cfg = json(dir.resolve("config.json"));
    cfg.addProperty("hidden_size", hidden * 2);
    Files.writeString(dir.resolve("config.json"), cfg.toString());
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(
        e.getMessage().contains("hidden_size = " + hidden * 2)
            && e.getMessage().contains("hidden size " + hidden),
        e.getMessage());
  }

  /**
   * A model's JSON files that are not UTF-8 (a config.json saved as Latin-1) are refused naming the
   * file and the byte, as a bad model (ModelFormatException), not a bare "Input length = 1"; so is
   * a sentence-transformers pooling config that holds no object.
   */
  @Test
  void modelJsonFilesThatAreNotUtf8AreNamed() throws Exception {
    Path dir = savedTiny("latin1");
    Path config = dir.resolve("config.json");
    String good = Files.readString(config);
    Files.write(config, "{\"model_type\": \"bert\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> HuggingFaceFolder.load(dir));
    assertEquals(config + ": not valid UTF-8 (byte 21 of the file)", e.getMessage());
    Files.writeString(config, good);

    Path pooling = dir.resolve("1_Pooling").resolve("config.json");
    Files.createDirectories(pooling.getParent());
    Files.writeString(pooling, "[]");
    e = assertThrows(ModelFormatException.class, () -> HuggingFaceFolder.load(dir));
    assertEquals(pooling + ": not a JSON object but an array", e.getMessage());
    Files.write(pooling, new byte[] {'{', (byte) 0xff, '}'});
    e = assertThrows(ModelFormatException.class, () -> HuggingFaceFolder.load(dir));
    assertEquals(pooling + ": not valid UTF-8 (byte 2 of the file)", e.getMessage());
  }

  /**
   * QA, 2 December (later): a relative position embedding was accepted and computed as an absolute
   * one; a max_seq_length of 0 was refused without naming the file or the field; a config.json that
   * is not JSON ended its message with the JSON library's troubleshooting link.
   */
  @Test
  void unsupportedPositionsABadMaxLengthAndBrokenJsonAreNamed() throws Exception {
    Path dir = savedTiny("positions");
    Path config = dir.resolve("config.json");
    String good = Files.readString(config);
    com.google.gson.JsonObject cfg = json(config);
    cfg.addProperty("position_embedding_type", "relative_key");
    Files.writeString(config, cfg.toString());
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertEquals(
        config + ": position_embedding_type \"relative_key\" is not supported (absolute only)",
        e.getMessage());
    cfg.addProperty("position_embedding_type", "absolute");
    Files.writeString(config, cfg.toString());
    HuggingFaceFolder.load(dir); // the explicit default is fine

    Files.writeString(config, "{hidden_size: 32 x");
    e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    // Read strictly (io.JsonFiles): the unquoted name is where it stops.
    assertEquals(
        config + ": not valid JSON: malformed JSON at line 1 column 3 path $.", e.getMessage());
    Files.writeString(config, good);

    Path sbert = dir.resolve("sentence_bert_config.json");
    Files.writeString(sbert, "{\"max_seq_length\": 0}");
    e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertEquals(
        sbert + ": max_seq_length is 0; it must be at least 2 (the [CLS] and [SEP] tokens)",
        e.getMessage());
  }

  /**
   * QA, 4 December: a folder without sentence_bert_config.json read texts up to 512 tokens even
   * when its tokenizer_config.json declares a shorter model_max_length, which transformers and
   * sentence-transformers truncate to; and a max_seq_length of 64.5 or "64" was read as 64.
   */
  @Test
  void theTokenizerConfigsMaxLengthCountsWhenNoSentenceTransformersLengthIsGiven()
      throws Exception {
    Path dir = savedTiny("max-length");
    Path sbert = dir.resolve("sentence_bert_config.json");
    Path tokenizerConfig = dir.resolve("tokenizer_config.json");
    Files.delete(sbert);
    assertEquals(512, HuggingFaceFolder.load(dir).maxSeqLength(), "nothing declared");

    Files.writeString(tokenizerConfig, "{\"model_max_length\": 8, \"do_lower_case\": true}");
    PretrainedModel eight = HuggingFaceFolder.load(dir);
    assertEquals(8, eight.maxSeqLength());
    try (TextTokenizer t = new TextTokenizer(eight.tokenizerJson(), eight.maxSeqLength(), "t")) {
      assertEquals(8, t.encode("one two three four five six seven eight nine ten").length);
    }
    // transformers' "no limit" (int(1e30)) and null leave the default.
    Files.writeString(tokenizerConfig, "{\"model_max_length\": 1000000000000000019884624838656}");
    assertEquals(512, HuggingFaceFolder.load(dir).maxSeqLength());
    Files.writeString(tokenizerConfig, "{\"model_max_length\": null}");
    assertEquals(512, HuggingFaceFolder.load(dir).maxSeqLength());
    Files.writeString(tokenizerConfig, "{\"model_max_length\": 10000000000}");
    assertEquals(512, HuggingFaceFolder.load(dir).maxSeqLength());
    // sentence_bert_config.json's max_seq_length wins, as in sentence-transformers; without the
    // field the tokenizer's length counts.
    Files.writeString(tokenizerConfig, "{\"model_max_length\": 8}");
    Files.writeString(sbert, "{\"max_seq_length\": 16}");
    assertEquals(16, HuggingFaceFolder.load(dir).maxSeqLength());
    Files.writeString(sbert, "{\"do_lower_case\": false}");
    assertEquals(8, HuggingFaceFolder.load(dir).maxSeqLength());

    for (String bad : List.of("\"8\"", "8.5", "true", "[8]")) {
      Files.writeString(tokenizerConfig, "{\"model_max_length\": " + bad + "}");
      IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
      assertEquals(
          tokenizerConfig + ": model_max_length is " + bad + "; it must be a whole JSON number",
          e.getMessage());
    }
    Files.writeString(tokenizerConfig, "{\"model_max_length\": 1}");
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertEquals(
        tokenizerConfig
            + ": model_max_length is 1; it must be at least 2 (the [CLS] and [SEP] tokens)",
        e.getMessage());
    Files.writeString(tokenizerConfig, "{model_max_length: 8");
    e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(e.getMessage().startsWith(tokenizerConfig + ": not valid JSON: "), e.getMessage());
    Files.writeString(tokenizerConfig, "{}");
    Files.writeString(sbert, "{\"max_seq_length\": 64.5}");
    e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertEquals(
        sbert + ": max_seq_length is 64.5; it must be a whole JSON number", e.getMessage());
  }

  /** A size given as a string or with a fraction was read as an integer (Gson converts both). */
  @Test
  void sizesMustBeWholeJsonNumbers() throws Exception {
    Path dir = savedTiny("numbers");
    Path config = dir.resolve("config.json");
    com.google.gson.JsonObject cfg = json(config);
    int hidden = TinyModels.tiny(4).config().hiddenSize();
    cfg.addProperty("hidden_size", Integer.toString(hidden));
    Files.writeString(config, cfg.toString());
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertEquals(
        config
            + ": field \"hidden_size\" is not a number: \""
            + hidden
            + "\" (a JSON number is expected)",
        e.getMessage());
    cfg.addProperty("hidden_size", hidden + 0.5);
    Files.writeString(config, cfg.toString());
    e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertEquals(
        config + ": field \"hidden_size\" is not an integer: " + (hidden + 0.5), e.getMessage());
    cfg.addProperty("hidden_size", hidden);
    cfg.addProperty("layer_norm_eps", "1e-12");
    Files.writeString(config, cfg.toString());
    e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(e.getMessage().contains("\"layer_norm_eps\" is not a number"), e.getMessage());
    cfg.addProperty("layer_norm_eps", 1e-12);
    cfg.add("type_vocab_size", com.google.gson.JsonParser.parseString("2.0"));
    Files.writeString(config, cfg.toString());
    HuggingFaceFolder.load(dir); // 2.0 is a whole number
  }

  /** Issue 15: "NaN weights: embed prints [NaN, ...]": NaN weights are refused at load. */
  @Test
  void nanWeightsAreRefusedNamingTheTensor() throws Exception {
    PretrainedModel tiny = TinyModels.tiny(4);
    Path dir = tmp.resolve("nan");
    HuggingFaceFolder.save(tiny, dir);
    var poisoned = new java.util.LinkedHashMap<>(tiny.weights().tensors());
    String name = "encoder.layer.0.attention.self.key.weight";
    org.fedpeft.tensor.HostTensor t = poisoned.get(name);
    float[] data = t.data().clone();
    data[3] = Float.NaN;
    poisoned.put(name, new org.fedpeft.tensor.HostTensor(t.shape(), data));
    org.fedpeft.io.Safetensors.write(
        dir.resolve("model.safetensors"), poisoned, java.util.Map.of());
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(e.getMessage().contains(name) && e.getMessage().contains("NaN"), e.getMessage());
  }

  /** QA: sharded checkpoints (model.safetensors.index.json) used to be refused as "missing". */
  @Test
  void shardedWeightsListedInAnIndexAreRead() throws Exception {
    PretrainedModel tiny = TinyModels.tiny(4);
    Path dir = savedTiny("sharded");
    Files.delete(dir.resolve("model.safetensors"));
    var first = new java.util.LinkedHashMap<String, org.fedpeft.tensor.HostTensor>();
    var second = new java.util.LinkedHashMap<String, org.fedpeft.tensor.HostTensor>();
    com.google.gson.JsonObject map = new com.google.gson.JsonObject();
    tiny.weights()
        .tensors()
        .forEach(
            (k, v) -> {
              boolean one = k.startsWith("embeddings.");
              (one ? first : second).put("bert." + k, v);
              map.addProperty("bert." + k, one ? "model-1.safetensors" : "model-2.safetensors");
            });
    org.fedpeft.io.Safetensors.write(dir.resolve("model-1.safetensors"), first, java.util.Map.of());
    org.fedpeft.io.Safetensors.write(
        dir.resolve("model-2.safetensors"), second, java.util.Map.of());
    com.google.gson.JsonObject index = new com.google.gson.JsonObject();
    index.add("weight_map", map);
    Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
    assertEquals(tiny.weights().tensors(), HuggingFaceFolder.load(dir).weights().tensors());

    map.addProperty("bert.pooler.dense.weight", "../elsewhere.safetensors");
    Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(e.getMessage().contains("../elsewhere.safetensors"), e.getMessage());
  }

  /** QA: a folder with only pytorch_model.bin was told "model.safetensors: missing" alone. */
  @Test
  void weightsInAFormatNotReadAreNamed() throws Exception {
    Path dir = savedTiny("bin");
    Files.move(dir.resolve("model.safetensors"), dir.resolve("pytorch_model.bin"));
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(
        e.getMessage().contains("pytorch_model.bin") && e.getMessage().contains("safetensors only"),
        e.getMessage());
  }

  /** QA: a tokenizer with more ids than vocab_size loaded, then failed "index out of range". */
  @Test
  void aTokenizerWithIdsBeyondTheVocabularyIsRefused() throws Exception {
    PretrainedModel tiny = TinyModels.tiny(4);
    BertConfig small = new BertConfig(1000, 32, 2, 4, 64, 512, 2, 1e-12f);
    Path dir = tmp.resolve("small-vocab");
    HuggingFaceFolder.save(
        new PretrainedModel("small", RandomBert.weights(small, 3), tiny.tokenizerJson(), 64), dir);
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(
        e.getMessage().contains("tokenizer.json")
            && e.getMessage().contains("vocab_size = 1000")
            && e.getMessage().contains("30521"),
        e.getMessage());
  }

  private static void writeSentenceTransformers(Path dir, String pooling, String... extra)
      throws IOException {
    StringBuilder modules =
        new StringBuilder(
            "[{\"idx\":0,\"name\":\"0\",\"path\":\"\","
                + "\"type\":\"sentence_transformers.models.Transformer\"},"
                + "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\","
                + "\"type\":\"sentence_transformers.models.Pooling\"}");
    for (String type : extra) {
      modules.append(",{\"path\":\"x\",\"type\":\"sentence_transformers.models.").append(type);
      modules.append("\"}");
    }
    Files.writeString(dir.resolve("modules.json"), modules.append("]").toString());
    Files.createDirectories(dir.resolve("1_Pooling"));
    Files.writeString(
        dir.resolve("1_Pooling/config.json"),
        "{\"word_embedding_dimension\": 32, \"pooling_mode_cls_token\": "
            + pooling.equals("cls")
            + ", \"pooling_mode_mean_tokens\": "
            + pooling.equals("mean")
            + ", \"pooling_mode_max_tokens\": false}");
  }

  /**
   * QA: a sentence-transformers folder declaring CLS pooling, or a Dense module, loaded and was
   * embedded by mean pooling without a word; now such folders are refused, mean pooling is not.
   */
  @Test
  void sentenceTransformersModulesOtherThanMeanPoolingAreRefused() throws Exception {
    PretrainedModel tiny = TinyModels.tiny(4);
    Path dir = savedTiny("st");
    writeSentenceTransformers(dir, "mean", "Normalize");
    assertEquals(tiny.weights().tensors(), HuggingFaceFolder.load(dir).weights().tensors());

    writeSentenceTransformers(dir, "cls", "Normalize");
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(
        e.getMessage().contains("1_Pooling") && e.getMessage().contains("pooling_mode_cls_token"),
        e.getMessage());

    writeSentenceTransformers(dir, "mean", "Dense", "Normalize");
    e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(
        e.getMessage().contains("modules.json") && e.getMessage().contains("models.Dense"),
        e.getMessage());

    writeSentenceTransformers(dir, "cls");
    Files.delete(dir.resolve("modules.json")); // a pooling folder alone is read as well
    e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(e.getMessage().contains("pooling_mode_cls_token"), e.getMessage());
  }

  /**
   * Audit, leftovers: the pooling config's word_embedding_dimension was read with Gson's getAsInt,
   * so 32.5 passed as the hidden size 32 (and 2^32 + 32 wrapped to 32); a value that is not a whole
   * JSON number is refused naming the file and the field, as the other fields there are.
   */
  @Test
  void aPoolingDimensionThatIsNotAWholeNumberIsRefused() throws Exception {
    Path dir = savedTiny("pooling-dim");
    writeSentenceTransformers(dir, "mean");
    Path pooling = dir.resolve("1_Pooling/config.json");
    for (String value : List.of("32.5", "\"abc\"", "\"32\"", "[32]")) {
      Files.writeString(
          pooling,
          "{\"word_embedding_dimension\": " + value + ", \"pooling_mode_mean_tokens\": true}");
      IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir), value);
      assertEquals(
          pooling + ": word_embedding_dimension is " + value + "; it must be a whole JSON number",
          e.getMessage());
    }
    for (String value : List.of("4294967328", "1e10")) { // 2^32 + 32 wrapped to 32
      Files.writeString(
          pooling,
          "{\"word_embedding_dimension\": " + value + ", \"pooling_mode_mean_tokens\": true}");
      IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir), value);
      assertEquals(
          pooling
              + ": word_embedding_dimension is "
              + value
              + ", but config.json says hidden_size = 32",
          e.getMessage());
    }
    for (String value : List.of("32", "32.0", "null")) {
      Files.writeString(
          pooling,
          "{\"word_embedding_dimension\": " + value + ", \"pooling_mode_mean_tokens\": true}");
      HuggingFaceFolder.load(dir);
    }
  }

  /** QA: do_lower_case true was ignored, sentence-transformers lower-cases such texts. */
  @Test
  void lowerCasingTheTokenizerDoesNotDoIsRefused() throws Exception {
    Path dir = savedTiny("lower");
    Files.writeString(
        dir.resolve("sentence_bert_config.json"),
        "{\"max_seq_length\": 64, \"do_lower_case\": true}");
    HuggingFaceFolder.load(dir); // the bundled tokenizer lower-cases (BertNormalizer)
    com.google.gson.JsonObject tok = json(dir.resolve("tokenizer.json"));
    tok.getAsJsonObject("normalizer").addProperty("lowercase", false);
    Files.writeString(dir.resolve("tokenizer.json"), tok.toString());
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(
        e.getMessage().contains("sentence_bert_config.json")
            && e.getMessage().contains("do_lower_case"),
        e.getMessage());
  }

  /** QA: with no model_type, a RoBERTa architecture was read as BERT. */
  @Test
  void noModelTypeButAnotherArchitectureIsRefused() throws Exception {
    Path dir = savedTiny("arch");
    com.google.gson.JsonObject cfg = json(dir.resolve("config.json"));
    cfg.remove("model_type");
    Files.writeString(dir.resolve("config.json"), cfg.toString());
    HuggingFaceFolder.load(dir); // architectures BertModel
    cfg.add("architectures", com.google.gson.JsonParser.parseString("[\"RobertaModel\"]"));
    Files.writeString(dir.resolve("config.json"), cfg.toString());
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir));
    assertTrue(e.getMessage().contains("RobertaModel"), e.getMessage());
  }

  /**
   * QA of a user's model folder, 4 December: a config.json with {@code "model_type": null} (or
   * {@code hidden_act} null, or a number) stopped every command with "JsonNull" and exit code 1,
   * naming neither the file nor the field.
   */
  @Test
  void aStringFieldHoldingNullOrANumberIsNamed() throws Exception {
    Path dir = savedTiny("strings");
    Path config = dir.resolve("config.json");
    for (String field : List.of("model_type", "hidden_act", "position_embedding_type")) {
      for (String value : List.of("null", "5")) {
        com.google.gson.JsonObject cfg = json(config);
        cfg.add(field, com.google.gson.JsonParser.parseString(value));
        Path edited = tmp.resolve("strings-" + field + "-" + value);
        Files.createDirectories(edited);
        for (Path f : Files.list(dir).toList()) {
          Files.copy(f, edited.resolve(f.getFileName()));
        }
        Files.writeString(edited.resolve("config.json"), cfg.toString());
        if (field.equals("position_embedding_type") && value.equals("null")) {
          HuggingFaceFolder.load(edited); // transformers reads a null as absolute
          continue;
        }
        IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(edited));
        assertEquals(
            edited.resolve("config.json")
                + ": field \""
                + field
                + "\" is not a string: "
                + value
                + " (a JSON string is expected)",
            e.getMessage());
      }
    }
  }

  /**
   * QA of a user's model folder, 4 December: {@code --model .} in the folder named the model "." in
   * every output (the run's lines, {@code fedpeft_adapter.json}'s {@code base_model}).
   */
  @Test
  void aPathEndingInADotIsNamedAfterTheFolder() throws Exception {
    Path dir = savedTiny("my-bert");
    assertEquals("my-bert", HuggingFaceFolder.load(dir.resolve(".")).name());
    assertEquals("my-bert", HuggingFaceFolder.load(dir).name());
  }

  static float[] embed(PretrainedModel m, List<String> texts) throws IOException {
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(m.weights(), root);
        TextTokenizer tok = m.newTokenizer()) {
      float[][] e = new SentenceEmbedder(enc, tok, EncoderHooks.NONE).embed(texts, 2);
      float[] flat = new float[e.length * e[0].length];
      for (int i = 0; i < e.length; i++) {
        System.arraycopy(e[i], 0, flat, i * e[0].length, e[0].length);
      }
      return flat;
    }
  }
}
