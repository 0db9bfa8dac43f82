package org.fedpeft.retrieval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Comparator;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BatchProgress;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.Pooling;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;

/**
 * MIPS over tokenized texts with a model's encoder and adapter (its head unused): each text's
 * sentence embedding is the mean-pooled encoder output L2-normalised (what {@link MipsIndex} and
 * {@code fedpeft retrieve --method mips} compute, and what a contrastively trained adapter was
 * trained on), and a query scores every document by the inner product of the two, their cosine
 * similarity. This is how runs with the contrastive objective are evaluated.
 */
public final class EmbeddingRetrieval {

  private EmbeddingRetrieval() {}

  /**
   * The sentence embeddings of tokenized texts, in their order, computed in evaluation mode (no
   * dropout) with gradient recording off on the calling thread (so the result does not depend on
   * the mode the thread was left in, {@link Engines#withoutGradients}) in batches of at most {@code
   * batchSize} texts of similar length.
   */
  public static float[][] embed(ClassifierModel model, EncodedExamples texts, int batchSize) {
    return embed(model, texts, batchSize, BatchProgress.NONE);
  }

  /**
   * As {@link #embed(ClassifierModel, EncodedExamples, int)}, telling {@code progress} after each
   * batch how many of the texts are embedded.
   */
  public static float[][] embed(
      ClassifierModel model, EncodedExamples texts, int batchSize, BatchProgress progress) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    int n = texts.size();
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> texts.tokens()[i].length));
    int hidden = model.encoder().config().hiddenSize();
    float[][] out = new float[n][];
    for (int start = 0; start < n; start += batchSize) {
      int[] idx = new int[Math.min(batchSize, n - start)];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = order[start + i];
      }
      float[] flat;
      try (NDScope scope = new NDScope();
          NDManager step = model.encoder().manager().newSubManager()) {
        scope.suppressNotUsedWarning();
        TokenBatch batch = texts.batch(idx);
        Shape shape = new Shape(batch.batchSize(), batch.seqLen());
        NDArray ids = step.create(batch.ids(), shape);
        NDArray mask = step.create(batch.mask(), shape);
        flat =
            Engines.withoutGradients(
                () -> Pooling.l2Normalize(model.pooled(ids, mask, false)).toFloatArray());
      }
      for (int i = 0; i < idx.length; i++) {
        out[idx[i]] = Arrays.copyOfRange(flat, i * hidden, (i + 1) * hidden);
      }
      progress.onBatch(start + idx.length, n);
    }
    return out;
  }

  /**
   * MIPS metrics of labelled queries against every document: accuracy is top-1 ({@link
   * RetrievalMetrics}), the extra metrics are {@code recall@5}, {@code recall@10} and {@code mrr},
   * and the loss is the contrastive loss over the whole corpus, the mean over queries of {@code
   * -log softmax_d(cos(q, d) / temperature)[relevant]}.
   *
   * @param documents document {@code i} is the document of label {@code i}
   * @param queries each query's label is its document
   */
  public static Evaluation evaluate(
      ClassifierModel model,
      EncodedExamples documents,
      EncodedExamples queries,
      double temperature,
      int batchSize) {
    return evaluate(model, documents, queries, temperature, batchSize, BatchProgress.NONE);
  }

  /**
   * As {@link #evaluate(ClassifierModel, EncodedExamples, EncodedExamples, double, int)}, telling
   * {@code progress} after each batch how many texts are embedded: the documents first, then the
   * queries, of their sum.
   */
  public static Evaluation evaluate(
      ClassifierModel model,
      EncodedExamples documents,
      EncodedExamples queries,
      double temperature,
      int batchSize,
      BatchProgress progress) {
    if (queries.size() == 0) {
      throw new IllegalArgumentException("MIPS evaluation needs at least one query");
    }
    int total = documents.size() + queries.size();
    float[][] d = embed(model, documents, batchSize, (done, n) -> progress.onBatch(done, total));
    float[][] q =
        embed(
            model,
            queries,
            batchSize,
            (done, n) -> progress.onBatch(documents.size() + done, total));
    int[] ranks = new int[q.length];
    double lossSum = 0;
    for (int i = 0; i < q.length; i++) {
      int relevant = queries.labels()[i];
      if (relevant < 0 || relevant >= d.length) {
        throw new IllegalArgumentException(
            "query " + i + " has label " + relevant + ", which is not one of the documents");
      }
      float[] scores = scores(q[i], d);
      ranks[i] = Ranking.rankOf(scores, relevant);
      lossSum += crossEntropy(scores, relevant, temperature);
    }
    RetrievalMetrics m = RetrievalMetrics.ofRanks(ranks);
    return new Evaluation(lossSum / q.length, m.top1(), q.length, m.rankingMetrics());
  }

  /**
   * Inner products of one query embedding with every document embedding, each summed in double in
   * index order and rounded once (also {@link MipsIndex#scores(float[])}'s).
   */
  static float[] scores(float[] query, float[][] documents) {
    float[] s = new float[documents.length];
    for (int j = 0; j < documents.length; j++) {
      double dot = 0;
      for (int k = 0; k < query.length; k++) {
        dot += (double) query[k] * documents[j][k];
      }
      s[j] = (float) dot;
    }
    return s;
  }

  /** -log softmax(scores / temperature)[target], computed stably in double. */
  static double crossEntropy(float[] scores, int target, double temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (float s : scores) {
      max = Math.max(max, s / temperature);
    }
    double sum = 0;
    for (float s : scores) {
      sum += Math.exp(s / temperature - max);
    }
    return max + Math.log(sum) - scores[target] / temperature;
  }
}
