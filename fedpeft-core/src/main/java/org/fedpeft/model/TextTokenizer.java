package org.fedpeft.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.fedpeft.io.Words;

/**
 * A WordPiece/BPE tokenizer read from a Hugging Face {@code tokenizer.json} (the Rust tokenizers
 * library, through DJL), with fedpeft's fixed settings: special tokens added, truncation at {@code
 * maxLength} tokens (special tokens included), no padding (batches are padded by {@link
 * TokenBatch}).
 */
public final class TextTokenizer implements AutoCloseable {

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final java.util.concurrent.atomic.AtomicLong truncated =
      new java.util.concurrent.atomic.AtomicLong();

  /** Builds a tokenizer from the bytes of a {@code tokenizer.json}. */
  public TextTokenizer(byte[] tokenizerJson, int maxLength, String source) throws IOException {
    if (maxLength < 2) {
      throw new IllegalArgumentException("max length must be at least 2, got " + maxLength);
    }
    this.maxLength = maxLength;
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
    Encoding e = tokenizer.encode(text);
    if (e.exceedMaxLength()) {
      truncated.incrementAndGet();
    }
    return e.getIds();
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
