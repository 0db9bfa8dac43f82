package org.fedpeft.model;

/**
 * Token ids of a batch, right-padded with id 0 to the longest sequence, and the matching attention
 * mask (1 for real tokens, 0 for padding). Arrays are row-major (batch, seq).
 *
 * @param batchSize number of sequences
 * @param seqLen length of the longest sequence
 * @param ids token ids, {@code batchSize * seqLen}
 * @param mask attention mask, {@code batchSize * seqLen}
 */
public record TokenBatch(int batchSize, int seqLen, long[] ids, long[] mask) {

  /** Rows {@code from} (inclusive) to {@code to} (exclusive), padded to the same length. */
  public TokenBatch rows(int from, int to) {
    if (from < 0 || to > batchSize || from >= to) {
      throw new IllegalArgumentException(
          "rows " + from + ".." + to + " are not a non-empty range of 0.." + batchSize);
    }
    return new TokenBatch(
        to - from,
        seqLen,
        java.util.Arrays.copyOfRange(ids, from * seqLen, to * seqLen),
        java.util.Arrays.copyOfRange(mask, from * seqLen, to * seqLen));
  }

  /** The length {@link #pad} pads {@code sequences} to: the longest one's, at least 1. */
  public static int paddedLength(long[][] sequences) {
    int seq = 1;
    for (long[] s : sequences) {
      seq = Math.max(seq, s.length);
    }
    return seq;
  }

  /** Pads sequences of token ids into one batch. */
  public static TokenBatch pad(long[][] sequences) {
    int seq = paddedLength(sequences);
    long[] ids = new long[sequences.length * seq];
    long[] mask = new long[sequences.length * seq];
    for (int b = 0; b < sequences.length; b++) {
      System.arraycopy(sequences[b], 0, ids, b * seq, sequences[b].length);
      for (int t = 0; t < sequences[b].length; t++) {
        mask[b * seq + t] = 1;
      }
    }
    return new TokenBatch(sequences.length, seq, ids, mask);
  }
}
