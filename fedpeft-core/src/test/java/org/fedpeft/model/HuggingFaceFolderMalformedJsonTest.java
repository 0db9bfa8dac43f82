package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 5 December: a model folder's JSON file that was not UTF-8 stopped loading with the JDK's
 * "Input length = 1", naming no file; an index without a {@code weight_map} object was reported
 * with a NullPointerException's text; and modules.json or a pooling config that was not JSON ended
 * its message with Gson's exception class and troubleshooting link. Each is now named with the file
 * and what is wrong with it.
 */
class HuggingFaceFolderMalformedJsonTest {

  @TempDir Path tmp;

  /** Latin-1 "café": the last byte is not UTF-8. */
  private static final byte[] LATIN_1 = "{\"caf\u00e9\": 1}".getBytes(StandardCharsets.ISO_8859_1);

  private Path savedTiny(String name) throws IOException {
    Path dir = tmp.resolve(name);
    HuggingFaceFolder.save(TinyModels.tiny(4), dir);
    return dir;
  }

  private static String error(Path dir) {
    return assertThrows(IOException.class, () -> HuggingFaceFolder.load(dir)).getMessage();
  }

  @Test
  void aConfigThatIsNotUtf8IsNamed() throws Exception {
    Path dir = savedTiny("config");
    Path config = dir.resolve("config.json");
    Files.write(config, LATIN_1);
    assertEquals(config + ": not valid UTF-8 (byte 6 of the file)", error(dir));
  }

  /** The folder's weights as shards listed in {@code index}'s text. */
  private Path sharded(String name, byte[] index) throws IOException {
    Path dir = savedTiny(name);
    Files.move(dir.resolve("model.safetensors"), dir.resolve("model-1.safetensors"));
    Files.write(dir.resolve("model.safetensors.index.json"), index);
    return dir;
  }

  @Test
  void anIndexThatIsNotUtf8OrHasNoWeightMapIsNamed() throws Exception {
    Path dir = sharded("latin", LATIN_1);
    Path index = dir.resolve("model.safetensors.index.json");
    assertEquals(index + ": not valid UTF-8 (byte 6 of the file)", error(dir));

    String notAnIndex =
        index
            + ": not a safetensors index (a JSON object whose \"weight_map\" maps tensor names to"
            + " file names): ";
    Files.writeString(index, "{\"metadata\": {}}");
    assertEquals(notAnIndex + "it has no \"weight_map\" object", error(dir));
    Files.writeString(index, "[]");
    assertEquals(notAnIndex + "it has no \"weight_map\" object", error(dir));
    Files.writeString(index, "{\"weight_map\": {\"bert.x\": 1}}");
    assertEquals(notAnIndex + "tensor bert.x maps to 1", error(dir));
    Files.writeString(index, "{\"weight_map\": {");
    assertEquals(
        index + ": not valid JSON: End of input at line 1 column 17 path $.weight_map.",
        error(dir));
    Files.writeString(index, "{\"weight_map\": {\"bert.x\": \"model-1.safetensors\"}}");
    HuggingFaceFolder.load(dir);
  }

  @Test
  void sentenceTransformersFilesThatAreNotJsonAreNamedWithoutGsonsWords() throws Exception {
    Path dir = savedTiny("st");
    Path modules = dir.resolve("modules.json");
    Files.writeString(modules, "[{");
    assertEquals(
        modules + ": not valid JSON: End of input at line 1 column 3 path $[0].", error(dir));
    Files.writeString(modules, "{}");
    assertEquals(modules + ": not a JSON list of modules", error(dir));

    Files.writeString(
        modules, "[{\"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}]");
    Path pooling = dir.resolve("1_Pooling/config.json");
    Files.createDirectories(pooling.getParent());
    Files.write(pooling, LATIN_1);
    assertEquals(pooling + ": not valid UTF-8 (byte 6 of the file)", error(dir));
    Files.writeString(pooling, "[]");
    assertEquals(pooling + ": not a JSON object but an array", error(dir));
    Files.writeString(pooling, "{\"pooling_mode_mean_tokens\": true}");
    HuggingFaceFolder.load(dir);
    Files.writeString(pooling, "{}x");
    assertEquals(
        pooling + ": not valid JSON: content after the JSON value at line 1 column 4", error(dir));
  }

  /**
   * QA, 5 December: a do_lower_case that was not a JSON boolean was read by Gson's rules, so 1 and
   * "false" (which sentence-transformers, in Python, takes as true: it lower-cases) were read as
   * false, and the folder loaded to embed other tokens than sentence-transformers does; [true] read
   * as true, and null was called "not valid JSON". Now only true and false are read; null is false,
   * as in Python.
   */
  @Test
  void doLowerCaseMustBeABoolean() throws Exception {
    Path dir = savedTiny("lower");
    Path sbert = dir.resolve("sentence_bert_config.json");
    for (String bad : java.util.List.of("1", "\"false\"", "[true]", "\"yes\"")) {
      Files.writeString(sbert, "{\"max_seq_length\": 16, \"do_lower_case\": " + bad + "}");
      assertEquals(sbert + ": do_lower_case is " + bad + "; it must be true or false", error(dir));
    }
    for (String off : java.util.List.of("false", "null")) {
      Files.writeString(sbert, "{\"max_seq_length\": 16, \"do_lower_case\": " + off + "}");
      assertEquals(16, HuggingFaceFolder.load(dir).maxSeqLength());
    }
  }

  /**
   * QA, 5 December: a pooling_mode_* that was not a JSON boolean was read as false, so a pooling
   * config with {@code "pooling_mode_cls_token": 1} (CLS pooling to sentence-transformers) loaded
   * and was embedded by mean pooling.
   */
  @Test
  void poolingModesMustBeBooleans() throws Exception {
    Path dir = savedTiny("pooling");
    Files.writeString(
        dir.resolve("modules.json"),
        "[{\"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}]");
    Path pooling = dir.resolve("1_Pooling/config.json");
    Files.createDirectories(pooling.getParent());
    Files.writeString(
        pooling, "{\"pooling_mode_mean_tokens\": true, \"pooling_mode_cls_token\": 1}");
    assertEquals(pooling + ": pooling_mode_cls_token is 1; it must be true or false", error(dir));
    Files.writeString(pooling, "{\"pooling_mode_mean_tokens\": \"true\"}");
    assertEquals(
        pooling + ": pooling_mode_mean_tokens is \"true\"; it must be true or false", error(dir));
    Files.writeString(
        pooling, "{\"pooling_mode_mean_tokens\": true, \"pooling_mode_cls_token\": null}");
    HuggingFaceFolder.load(dir);
  }

  /** Makes {@code file} {@code size} bytes long without writing them (a hole of zero bytes). */
  private static void sparse(Path file, long size) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
    }
  }

  /**
   * QA, 5 December: a model folder's JSON files were read whole whatever their size, so that a
   * config.json or tokenizer.json of a few gigabytes (a wrong file under the right name) ended in
   * an OutOfMemoryError. config.json and the other settings files are refused above {@link
   * org.fedpeft.io.JsonFiles#MAX_BYTES} (64 MiB), tokenizer.json above {@link
   * HuggingFaceFolder#MAX_TOKENIZER_BYTES} (256 MiB), by their size before they are read. Fails on
   * the old code, which read the files (of zero bytes here) and failed on their contents.
   */
  @Test
  void aSettingsFileOrTokenizerAboveItsCapIsRefusedByItsSize() throws Exception {
    Path dir = savedTiny("huge");
    Path config = dir.resolve("config.json");
    byte[] small = Files.readAllBytes(config);
    long over = org.fedpeft.io.JsonFiles.MAX_BYTES + 1;
    sparse(config, over);
    assertEquals(
        config
            + ": "
            + over
            + " bytes, more than the 67108864 bytes (64 MiB) a JSON settings file may hold",
        error(dir));
    Files.write(config, small);
    Path sbert = dir.resolve("sentence_bert_config.json");
    sparse(sbert, over);
    assertEquals(
        sbert
            + ": "
            + over
            + " bytes, more than the 67108864 bytes (64 MiB) a JSON settings file may hold",
        error(dir));
    Files.delete(sbert);
    Path tokenizer = dir.resolve("tokenizer.json");
    byte[] realTokenizer = Files.readAllBytes(tokenizer);
    long huge = HuggingFaceFolder.MAX_TOKENIZER_BYTES + 1;
    sparse(tokenizer, huge);
    assertEquals(
        tokenizer
            + ": "
            + huge
            + " bytes, more than the 268435456 bytes (256 MiB) a tokenizer.json may hold",
        error(dir));
    Files.write(tokenizer, realTokenizer);
    HuggingFaceFolder.load(dir);
  }

  /**
   * QA, 5 December: tokenizer.json was read three ways: by the tokenizers library, and twice by
   * Gson's lenient parser (TextTokenizer's look at its normalizer and pre-tokenizer, the token id
   * check), so a word written twice in the vocabulary (a hand-edited file) loaded with one of its
   * ids silently dropped. It is read as strictly as the folder's other JSON files ({@code
   * io.JsonFiles}, within its 256 MiB cap) before the tokenizers library sees it, and refused
   * naming the file and where the repeat is. Fails on the old code, which loaded the folder.
   */
  @Test
  void aTokenizerJsonWithARepeatedKeyIsRefusedNamingTheFileAndTheLine() throws Exception {
    Path dir = savedTiny("repeated");
    Path tokenizer = dir.resolve("tokenizer.json");
    String text = Files.readString(tokenizer);
    int vocab = text.indexOf("\"vocab\": {");
    int pad = text.indexOf("\"[PAD]\": 0,", vocab);
    Files.writeString(tokenizer, text.substring(0, pad) + "\"[PAD]\": 0, " + text.substring(pad));
    int line = text.substring(0, pad).split("\n", -1).length;
    int column = pad - text.lastIndexOf('\n', pad) + "\"[PAD]\": 0, ".length() + 1;
    assertEquals(
        tokenizer + ": duplicate key '[PAD]' in model.vocab at line " + line + " column " + column,
        error(dir));
  }

  /**
   * QA, 5 December: content after the JSON value of a tokenizer.json is refused by the strict
   * reading, in the words used for the folder's other JSON files ("content after the JSON value at
   * line L column C"), before the tokenizers library reads it (which refused it too, in its own
   * words: "not a readable tokenizer.json: trailing characters at line L column C"). Guards which
   * reading comes first. (That message said "malformed JSON ... path $" of a valid JSON value
   * followed by other text, until the same day.)
   */
  @Test
  void aTokenizerJsonWithContentAfterItsValueIsRefusedNamingTheFile() throws Exception {
    Path dir = savedTiny("trailing");
    Path tokenizer = dir.resolve("tokenizer.json");
    String text = Files.readString(tokenizer) + "\nx";
    Files.writeString(tokenizer, text);
    assertEquals(
        tokenizer
            + ": not valid JSON: content after the JSON value at line "
            + text.split("\n", -1).length
            + " column 2",
        error(dir));
  }
}
