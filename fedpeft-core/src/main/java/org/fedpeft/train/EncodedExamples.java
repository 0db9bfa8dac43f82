package org.fedpeft.train;

import java.util.List;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TokenBatch;

/**
 * Texts tokenized once, with integer labels, ready for batching.
 *
 * @param tokens token ids per example (truncated, unpadded)
 * @param labels label index per example
 */
public record EncodedExamples(long[][] tokens, int[] labels) {

  public EncodedExamples {
    if (tokens.length != labels.length) {
      throw new IllegalArgumentException(
          tokens.length + " token sequences but " + labels.length + " labels");
    }
  }

  /** Tokenizes texts. */
  public static EncodedExamples encode(TextTokenizer tokenizer, List<String> texts, int[] labels) {
    long[][] tokens = new long[texts.size()][];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = tokenizer.encode(texts.get(i));
    }
    return new EncodedExamples(tokens, labels);
  }

  public int size() {
    return labels.length;
  }

  /** The padded batch of the given example indices and their labels. */
  public TokenBatch batch(int[] indices) {
    long[][] seqs = new long[indices.length][];
    for (int i = 0; i < indices.length; i++) {
      seqs[i] = tokens[indices[i]];
    }
    return TokenBatch.pad(seqs);
  }

  /** Labels of the given example indices, as int64 for the engine. */
  public long[] labelsOf(int[] indices) {
    long[] out = new long[indices.length];
    for (int i = 0; i < indices.length; i++) {
      out[i] = labels[indices[i]];
    }
    return out;
  }
}
