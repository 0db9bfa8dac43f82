package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.fedpeft.engine.Engines;
import org.fedpeft.engine.SideBySide;

/**
 * Sentence embeddings as sentence-transformers computes them for this model family: mean pooling
 * over the attention mask, then L2 normalisation. Texts are sorted by length and batched so padding
 * stays small; results come back in input order. Gradient recording is off while it computes
 * ({@link Engines#withoutGradients}), whatever the calling thread was left in.
 */
public final class SentenceEmbedder {

  private final BertEncoder encoder;
  private final TextTokenizer tokenizer;
  private final EncoderHooks hooks;
  private final BatchPreparer preparer;

  /**
   * Prepares the hook context of one batch before the encoder runs: an adapter's {@code
   * prepareBatch}, for hooks that need per-example values.
   */
  @FunctionalInterface
  public interface BatchPreparer {
    /** The context for this batch; {@code ids} and {@code mask} are (batch, seq). */
    HookContext prepare(HookContext ctx, NDArray ids, NDArray mask);
  }

  /** Embeds with {@code hooks} and no per-batch preparation. */
  public SentenceEmbedder(BertEncoder encoder, TextTokenizer tokenizer, EncoderHooks hooks) {
    this(encoder, tokenizer, hooks, (ctx, ids, mask) -> ctx);
  }

  /**
   * Embeds with {@code hooks}, each batch's inference context first passed through {@code preparer}
   * (for an adapter: {@code adapter::prepareBatch}, as the classifier's forward pass does).
   */
  public SentenceEmbedder(
      BertEncoder encoder, TextTokenizer tokenizer, EncoderHooks hooks, BatchPreparer preparer) {
    this.encoder = encoder;
    this.tokenizer = tokenizer;
    this.hooks = hooks;
    this.preparer = preparer;
  }

  /** Embeds texts in batches of at most {@code batchSize}. */
  public float[][] embed(List<String> texts, int batchSize) {
    return embed(texts, batchSize, BatchProgress.NONE);
  }

  /**
   * As {@link #embed(List, int)}, telling {@code progress} after each batch how many of the texts
   * are embedded.
   */
  public float[][] embed(List<String> texts, int batchSize, BatchProgress progress) {
    int n = texts.size();
    long[][] tokens = new long[n][];
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tokens[i] = tokenizer.encode(texts.get(i));
      order.add(i);
    }
    order.sort(Comparator.comparingInt(i -> tokens[i].length));
    float[][] out = new float[n][];
    for (int start = 0; start < n; start += batchSize) {
      List<Integer> idx = order.subList(start, Math.min(n, start + batchSize));
      long[][] seqs = new long[idx.size()][];
      for (int j = 0; j < seqs.length; j++) {
        seqs[j] = tokens[idx.get(j)];
      }
      float[][] vecs = embedBatch(TokenBatch.pad(seqs));
      for (int j = 0; j < seqs.length; j++) {
        out[idx.get(j)] = vecs[j];
      }
      progress.onBatch(start + seqs.length, n);
    }
    return out;
  }

  /**
   * Embeddings of one padded batch, (batch, hidden). With hooks that allow it ({@link
   * EncoderHooks#concurrentBatches()}), a batch of two or more runs as two halves of rows, each
   * padded as the batch is ({@link SideBySide}: side by side with two or more intra-op threads,
   * else one after the other), so the embeddings do not depend on the thread count.
   */
  public float[][] embedBatch(TokenBatch batch) {
    if (batch.batchSize() < 2 || !hooks.concurrentBatches()) {
      return embedRows(batch);
    }
    int n = batch.batchSize();
    int first = n - n / 2;
    SideBySide.Results<float[][]> r =
        SideBySide.run(k -> embedRows(k == 0 ? batch.rows(0, first) : batch.rows(first, n)));
    float[][] rows = new float[n][];
    System.arraycopy(r.first(), 0, rows, 0, first);
    System.arraycopy(r.second(), 0, rows, first, n - first);
    return rows;
  }

  private float[][] embedRows(TokenBatch batch) {
    int hidden = encoder.config().hiddenSize();
    try (NDScope scope = new NDScope();
        NDManager step = encoder.manager().newSubManager()) {
      scope.suppressNotUsedWarning();
      Shape shape = new Shape(batch.batchSize(), batch.seqLen());
      NDArray ids = step.create(batch.ids(), shape);
      NDArray mask = step.create(batch.mask(), shape);
      float[] flat =
          Engines.withoutGradients(
              () -> {
                NDArray h =
                    encoder.forward(
                        ids, mask, hooks, preparer.prepare(HookContext.inference(), ids, mask));
                return Pooling.l2Normalize(Pooling.mean(h, mask)).toFloatArray();
              });
      float[][] rows = new float[batch.batchSize()][hidden];
      for (int b = 0; b < rows.length; b++) {
        System.arraycopy(flat, b * hidden, rows[b], 0, hidden);
      }
      return rows;
    }
  }
}
