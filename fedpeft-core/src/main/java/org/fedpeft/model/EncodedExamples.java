package org.fedpeft.model;

import java.util.List;

/**
 * Texts tokenized once, with integer labels, ready for batching.
 *
 * @param tokens token ids per example (truncated, unpadded)
 * @param labels label index per example: an output of the head (for a multi-task head, the output
 *     in the example's task's block)
 * @param tasks each example's task, as the index of its part of a multi-task {@link
 *     org.fedpeft.heads.HeadLayout}; null for single-task data
 */
public record EncodedExamples(long[][] tokens, int[] labels, int[] tasks) {

  /** Checks that the arrays have one entry per example. */
  public EncodedExamples {
    if (tokens.length != labels.length) {
      throw new IllegalArgumentException(
          tokens.length + " token sequences but " + labels.length + " labels");
    }
    if (tasks != null && tasks.length != labels.length) {
      throw new IllegalArgumentException(
          labels.length + " labels but " + tasks.length + " task indices");
    }
  }

  /** Single-task examples. */
  public EncodedExamples(long[][] tokens, int[] labels) {
    this(tokens, labels, null);
  }

  /** Tokenizes texts. */
  public static EncodedExamples encode(TextTokenizer tokenizer, List<String> texts, int[] labels) {
    return encode(tokenizer, texts, labels, null);
  }

  /** Adds the examples (tokens, labels, tasks, in order) to {@code digest}. */
  public void digestInto(java.security.MessageDigest digest) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8);
    java.util.function.LongConsumer put =
        v -> {
          b.clear();
          digest.update(b.putLong(v).array());
        };
    put.accept(tokens.length);
    for (int i = 0; i < tokens.length; i++) {
      put.accept(tokens[i].length);
      for (long t : tokens[i]) {
        put.accept(t);
      }
      put.accept(labels[i]);
      put.accept(tasks == null ? -1 : tasks[i]);
    }
  }

  /** Tokenizes texts of several tasks. */
  public static EncodedExamples encode(
      TextTokenizer tokenizer, List<String> texts, int[] labels, int[] tasks) {
    long[][] tokens = new long[texts.size()][];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = tokenizer.encode(texts.get(i));
    }
    return new EncodedExamples(tokens, labels, tasks);
  }

  public int size() {
    return labels.length;
  }

  /** The examples at the given indices, in that order. */
  public EncodedExamples subset(int[] indices) {
    long[][] t = new long[indices.length][];
    int[] l = new int[indices.length];
    int[] k = tasks == null ? null : new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      t[i] = tokens[indices[i]];
      l[i] = labels[indices[i]];
      if (k != null) {
        k[i] = tasks[indices[i]];
      }
    }
    return new EncodedExamples(t, l, k);
  }

  /** The padded batch of the given example indices and their labels. */
  public TokenBatch batch(int[] indices) {
    return TokenBatch.pad(sequences(indices));
  }

  /** The length {@link #batch} pads the given examples to ({@link TokenBatch#paddedLength}). */
  public int paddedLength(int[] indices) {
    return TokenBatch.paddedLength(sequences(indices));
  }

  private long[][] sequences(int[] indices) {
    long[][] seqs = new long[indices.length][];
    for (int i = 0; i < indices.length; i++) {
      seqs[i] = tokens[indices[i]];
    }
    return seqs;
  }

  /** Labels of the given example indices, as int64 for the engine. */
  public long[] labelsOf(int[] indices) {
    long[] out = new long[indices.length];
    for (int i = 0; i < indices.length; i++) {
      out[i] = labels[indices[i]];
    }
    return out;
  }

  /** The tasks of the given example indices, or null for single-task data. */
  public int[] tasksOf(int[] indices) {
    if (tasks == null) {
      return null;
    }
    int[] out = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      out[i] = tasks[indices[i]];
    }
    return out;
  }

  /** The distinct tasks of the examples, ascending (empty for single-task data). */
  public int[] distinctTasks() {
    return tasks == null
        ? new int[0]
        : java.util.Arrays.stream(tasks).distinct().sorted().toArray();
  }
}
