package org.fedpeft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.Pooling;
import org.fedpeft.model.TokenBatch;

/**
 * InfoNCE with in-batch negatives between queries and the documents they belong to, the loss of
 * dense retrievers (DPR; sentence-transformers' MultipleNegativesRankingLoss) on the sentence
 * embeddings that MIPS ranks by.
 *
 * <p>For a batch of queries whose documents are given by their labels, let D_1..D_U be the batch's
 * distinct documents in order of first appearance and t_i the position of query i's own document
 * among them. With q_i and d_j the L2-normalised mean-pooled encoder outputs (the adapter active,
 * the head unused) of query i and document D_j,
 *
 * <pre>
 *   loss = mean_i [ -log softmax_j (q_i . d_j / tau) [t_i] ]
 * </pre>
 *
 * A document that several queries of the batch share appears once, so it is never a negative of its
 * own queries; the other documents of the batch are the negatives. Queries and documents go through
 * the same encoder and adapter (gradients flow through both).
 */
public final class ContrastiveLoss {

  private final long[][] documents;
  private final double temperature;

  /**
   * @param documentTokens token ids of each document, indexed by label: a query with label {@code
   *     l} belongs to document {@code l}
   * @param temperature tau, positive
   */
  public ContrastiveLoss(long[][] documentTokens, double temperature) {
    if (documentTokens.length == 0) {
      throw new IllegalArgumentException("contrastive training needs at least one document");
    }
    if (!(temperature > 0) || !Double.isFinite(temperature)) {
      throw new IllegalArgumentException("temperature must be positive, got " + temperature);
    }
    this.documents = documentTokens;
    this.temperature = temperature;
  }

  /**
   * The loss over a corpus encoded as examples whose example {@code i} is the document of label
   * {@code i} (a task's retrieval corpus, as {@link FrozenBase#encode} returns it).
   *
   * @throws IllegalArgumentException if the documents are not in label order
   */
  public static ContrastiveLoss of(EncodedExamples documents, double temperature) {
    for (int i = 0; i < documents.size(); i++) {
      if (documents.labels()[i] != i) {
        throw new IllegalArgumentException(
            "document " + i + " has label " + documents.labels()[i] + "; expected label order");
      }
    }
    return new ContrastiveLoss(documents.tokens(), temperature);
  }

  /** Tau. */
  public double temperature() {
    return temperature;
  }

  /** Number of documents. */
  public int documents() {
    return documents.length;
  }

  /**
   * The distinct documents of a batch and each query's target.
   *
   * @param documents the distinct labels, in order of first appearance
   * @param targets for each query, the position of its label in {@code documents}
   */
  public record InBatch(int[] documents, long[] targets) {}

  /**
   * The distinct labels of {@code labels} in order of first appearance, and each one's position.
   */
  public static InBatch inBatch(int[] labels) {
    Map<Integer, Integer> position = new LinkedHashMap<>();
    long[] targets = new long[labels.length];
    for (int i = 0; i < labels.length; i++) {
      Integer p = position.putIfAbsent(labels[i], position.size());
      targets[i] = p == null ? position.size() - 1 : p;
    }
    int[] docs = new int[position.size()];
    int k = 0;
    for (int d : position.keySet()) {
      docs[k++] = d;
    }
    return new InBatch(docs, targets);
  }

  /**
   * The loss of a batch, with its in-batch top-1 accuracy.
   *
   * @param loss the scalar loss, recorded for backward when autograd records
   * @param accuracy fraction of queries whose own document scores highest in the batch
   */
  public record Batch(NDArray loss, float accuracy) {}

  /**
   * The loss of the queries at {@code indices} (their labels name their documents).
   *
   * @param step the manager of the step's arrays
   * @param training passed to the encoder (the adapter's dropout)
   */
  public Batch compute(
      ClassifierModel model,
      EncodedExamples queries,
      int[] indices,
      NDManager step,
      boolean training) {
    int[] labels = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      labels[i] = queries.labels()[indices[i]];
      if (labels[i] < 0 || labels[i] >= documents.length) {
        throw new IllegalArgumentException(
            "query " + indices[i] + " has label " + labels[i] + ", which is not a document");
      }
    }
    InBatch in = inBatch(labels);
    long[][] docs = new long[in.documents().length][];
    for (int j = 0; j < docs.length; j++) {
      docs[j] = documents[in.documents()[j]];
    }
    NDArray q = embed(model, queries.batch(indices), step, training);
    NDArray d = embed(model, TokenBatch.pad(docs), step, training);
    NDArray targets = step.create(in.targets());
    NDArray inverse = step.create((float) (1.0 / temperature));
    NDArray scores = q.matMul(d.transpose());
    NDArray loss = infoNce(scores, targets, inverse);
    long[] best = scores.argMax(1).toLongArray();
    int right = 0;
    for (int i = 0; i < best.length; i++) {
      right += best[i] == in.targets()[i] ? 1 : 0;
    }
    return new Batch(loss, (float) right / best.length);
  }

  /**
   * Mean over rows of {@code -log softmax(scores[i] * inverseTemperature)[targets[i]]}.
   *
   * @param scores (queries, documents) cosine similarities
   * @param targets (queries) int64 document positions
   * @param inverseTemperature a scalar array 1 / tau (an array, not a Java number, so that autograd
   *     keeps it for the backward pass)
   */
  public static NDArray infoNce(NDArray scores, NDArray targets, NDArray inverseTemperature) {
    return LocalTrainer.crossEntropy(scores.mul(inverseTemperature), targets);
  }

  /** L2-normalised mean-pooled outputs (batch, hidden) of a padded batch. */
  private static NDArray embed(
      ClassifierModel model, TokenBatch batch, NDManager step, boolean training) {
    Shape shape = new Shape(batch.batchSize(), batch.seqLen());
    NDArray ids = step.create(batch.ids(), shape);
    NDArray mask = step.create(batch.mask(), shape);
    return Pooling.l2Normalize(model.pooled(ids, mask, training));
  }

  @Override
  public String toString() {
    return "ContrastiveLoss[" + documents.length + " documents, tau " + temperature + "]";
  }
}
