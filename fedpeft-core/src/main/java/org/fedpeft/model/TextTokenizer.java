package org.fedpeft.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.Words;

/**
 * A WordPiece/BPE tokenizer read from a Hugging Face {@code tokenizer.json} (the Rust tokenizers
 * library, through DJL), with fedpeft's fixed settings: special tokens added, truncation at {@code
 * maxLength} tokens (special tokens included), no padding (batches are padded by {@link
 * TokenBatch}).
 *
 * <p>A long text is not tokenized in full when only its first {@code maxLength} tokens are kept:
 * for a BERT tokenizer (BERT normalizer and pre-tokenizer, which work character by character and
 * split words at spaces, and no added token with a space inside) it encodes a prefix cut at a
 * space, {@value #PREFIX_CHARS_PER_TOKEN} characters per token to start with and doubled while that
 * prefix still fits. A prefix that itself needs truncation yields the same ids as the whole text,
 * since the words before a space are tokenized independently of what follows. Other tokenizers
 * always encode the whole text.
 */
public final class TextTokenizer implements AutoCloseable {

  private final HuggingFaceTokenizer tokenizer;

  /** The characters per kept token of the first prefix tried for a long text. */
  static final int PREFIX_CHARS_PER_TOKEN = 8;

  private final int maxLength;
  private final boolean wordsSplitAtSpaces;
  private final java.util.concurrent.atomic.AtomicLong truncated =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * How many times a {@code TextTokenizer} parsed the bytes it was given strictly ({@link
   * JsonFiles#parse}), for tests to see that a model folder's load leaves that parse to {@link
   * HuggingFaceFolder#load}.
   */
  static final java.util.concurrent.atomic.AtomicLong STRICT_PARSES =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Builds a tokenizer from the bytes of a {@code tokenizer.json}.
   *
   * @param source what the bytes are, for messages (a file, "all-minilm-l6-v2 tokenizer.json")
   * @throws ModelFormatException naming {@code source} if the bytes are not strict JSON ({@link
   *     JsonFiles#parse}) or the tokenizers library cannot read them
   */
  public TextTokenizer(byte[] tokenizerJson, int maxLength, String source) throws IOException {
    this(tokenizerJson, null, maxLength, source);
  }

  /**
   * Builds a tokenizer from the bytes of a {@code tokenizer.json} whose strict parse the caller
   * already has ({@link HuggingFaceFolder#load} reads the file with {@link JsonFiles#readObject}),
   * so that the bytes are not parsed strictly a second time.
   *
   * @param parsed the strict parse of {@code tokenizerJson}, or null to make it here
   * @throws ModelFormatException naming {@code source} if {@code parsed} is null and the bytes are
   *     not strict JSON, or if the tokenizers library cannot read them
   */
  TextTokenizer(byte[] tokenizerJson, JsonElement parsed, int maxLength, String source)
      throws IOException {
    if (maxLength < 2) {
      throw new IllegalArgumentException("max length must be at least 2, got " + maxLength);
    }
    this.maxLength = maxLength;
    this.wordsSplitAtSpaces =
        isBertWordSplitting(parsed != null ? parsed : strictParse(tokenizerJson, source));
    try {
      this.tokenizer =
          HuggingFaceTokenizer.newInstance(
              new ByteArrayInputStream(tokenizerJson),
              Map.of(
                  "addSpecialTokens", "true",
                  "truncation", "true",
                  "padding", "false",
                  "maxLength", Integer.toString(maxLength),
                  "modelMaxLength", Integer.toString(maxLength)));
    } catch (RuntimeException e) {
      throw new ModelFormatException(
          source + ": not a readable tokenizer.json: " + e.getMessage(), e);
    }
  }

  /** The maximum number of tokens of an encoded text, special tokens included. */
  public int maxLength() {
    return maxLength;
  }

  /** Token ids of one text, truncated to {@link #maxLength()}. */
  public long[] encode(String text) {
    Encoding e = encodeTruncated(text);
    if (e.exceedMaxLength()) {
      truncated.incrementAndGet();
    }
    return e.getIds();
  }

  /** How many encoded texts were cut to {@link #maxLength()} tokens so far. */
  long truncatedCount() {
    return truncated.get();
  }

  /** The truncated encoding of the whole text (what {@link #encode(String)} must equal). */
  Encoding encodeWhole(String text) {
    return tokenizer.encode(text);
  }

  /**
   * The truncated encoding of {@code text}: that of a prefix ending before a space when such a
   * prefix is already longer than {@link #maxLength()} tokens (BERT tokenizers only), else that of
   * the whole text.
   */
  private Encoding encodeTruncated(String text) {
    if (wordsSplitAtSpaces) {
      int tried = 0; // the longest prefix encoded so far: a cut no further on needs no new try
      for (long chars = (long) PREFIX_CHARS_PER_TOKEN * maxLength;
          chars < text.length();
          chars *= 2) {
        int cut = text.lastIndexOf(' ', (int) chars);
        if (cut > tried) {
          tried = cut;
          Encoding prefix = tokenizer.encode(text.substring(0, cut));
          if (prefix.exceedMaxLength()) {
            return prefix;
          }
        }
      }
    }
    return encodeWhole(text);
  }

  /**
   * The bytes of a tokenizer.json parsed as strictly as any other JSON ({@link JsonFiles#parse}),
   * before the tokenizers library reads them.
   *
   * @throws ModelFormatException naming {@code source} if they are not strict JSON or have a key
   *     twice
   */
  private static JsonElement strictParse(byte[] tokenizerJson, String source)
      throws ModelFormatException {
    STRICT_PARSES.incrementAndGet();
    try {
      return JsonFiles.parse(new String(tokenizerJson, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(source + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether the tokenizer's normalizer (if any) is the BERT one, its pre-tokenizer the BERT one,
   * and none of its added tokens holds a space, so that words before a space are tokenized the same
   * whatever follows the space (an added token such as {@code "new york"} is matched in the text
   * before the pre-tokenizer splits it, so a prefix cut at its space would end with the pieces of
   * its first word instead of its id).
   *
   * @param parsed the strict parse of the tokenizer.json
   */
  private static boolean isBertWordSplitting(JsonElement parsed) {
    try {
      JsonObject root = parsed.getAsJsonObject();
      return (isNull(root.get("normalizer")) || hasType(root.get("normalizer"), "BertNormalizer"))
          && hasType(root.get("pre_tokenizer"), "BertPreTokenizer")
          && !anAddedTokenHoldsASpace(root.get("added_tokens"));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Whether one of the {@code added_tokens} of a tokenizer.json has a space in its content. */
  private static boolean anAddedTokenHoldsASpace(JsonElement addedTokens) {
    if (isNull(addedTokens)) {
      return false;
    }
    for (JsonElement t : addedTokens.getAsJsonArray()) {
      if (t.getAsJsonObject().get("content").getAsString().indexOf(' ') >= 0) {
        return true;
      }
    }
    return false;
  }

  private static boolean isNull(JsonElement e) {
    return e == null || e.isJsonNull();
  }

  private static boolean hasType(JsonElement e, String type) {
    return e != null
        && e.isJsonObject()
        && e.getAsJsonObject().has("type")
        && type.equals(e.getAsJsonObject().get("type").getAsString());
  }

  /**
   * A note for the user when texts encoded so far were cut to {@link #maxLength()} tokens ({@code
   * what} names them, e.g. "of the data"); null when none was.
   */
  public String truncationNote(String what) {
    long n = truncated.get();
    return n == 0
        ? null
        : String.format(
            java.util.Locale.ROOT,
            "note: %,d %s %s %s longer than the model's %d tokens; it reads the first %d of"
                + " each",
            n,
            Words.plural(n, "text"),
            what,
            n == 1 ? "is" : "are",
            maxLength,
            maxLength);
  }

  /** Tokenizes texts and pads them to the longest one, with an attention mask. */
  public TokenBatch encodeBatch(List<String> texts) {
    long[][] ids = new long[texts.size()][];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = encode(texts.get(i));
    }
    return TokenBatch.pad(ids);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
