package org.fedpeft.retrieval;

import java.util.List;
import org.fedpeft.model.BatchProgress;
import org.fedpeft.model.SentenceEmbedder;

/**
 * The MIPS baseline: documents embedded as sentence-transformers embeds them ({@link
 * SentenceEmbedder}: the encoder with or without an adapter, the tokenizer's truncation, mean
 * pooling over the attention mask, L2 normalisation), and a query scored against every document by
 * the inner product of the normalised embeddings, which is their cosine similarity. The search is
 * exact (every document is scored).
 */
public final class MipsIndex implements Retriever {

  private final SentenceEmbedder embedder;
  private final float[][] documents;
  private final int batchSize;

  private MipsIndex(SentenceEmbedder embedder, float[][] documents, int batchSize) {
    this.embedder = embedder;
    this.documents = documents;
    this.batchSize = batchSize;
  }

  /** Embeds the document texts (in order: document i is row i) with {@code embedder}. */
  public static MipsIndex build(SentenceEmbedder embedder, List<String> documents, int batchSize) {
    return build(embedder, documents, batchSize, BatchProgress.NONE);
  }

  /**
   * As {@link #build(SentenceEmbedder, List, int)}, telling {@code progress} after each batch how
   * many of the documents are embedded.
   */
  public static MipsIndex build(
      SentenceEmbedder embedder, List<String> documents, int batchSize, BatchProgress progress) {
    if (documents.isEmpty()) {
      throw new IllegalArgumentException("a MIPS index needs at least one document");
    }
    return new MipsIndex(embedder, embedder.embed(documents, batchSize, progress), batchSize);
  }

  /** Number of documents. */
  public int size() {
    return documents.length;
  }

  /** The normalised embedding of document {@code i} (not a copy). */
  public float[] document(int i) {
    return documents[i];
  }

  /** Cosine similarity of each query with every document: (queries, documents). */
  @Override
  public float[][] scores(List<String> queries) {
    float[][] q = embedder.embed(queries, batchSize);
    float[][] out = new float[q.length][];
    for (int i = 0; i < q.length; i++) {
      out[i] = scores(q[i]);
    }
    return out;
  }

  /** Inner products of one normalised query embedding with every document. */
  public float[] scores(float[] query) {
    for (float[] doc : documents) {
      if (doc.length != query.length) {
        throw new IllegalArgumentException(
            "query embedding has " + query.length + " values, documents have " + doc.length);
      }
    }
    return EmbeddingRetrieval.scores(query, documents);
  }

  /** The retrieval metrics of queries whose relevant document indices are {@code relevant}. */
  public RetrievalMetrics evaluate(List<String> queries, int[] relevant) {
    if (queries.size() != relevant.length) {
      throw new IllegalArgumentException(
          queries.size() + " queries but " + relevant.length + " relevant documents");
    }
    RetrievalMetrics.Accumulator acc = new RetrievalMetrics.Accumulator();
    for (int start = 0; start < queries.size(); start += batchSize) {
      int end = Math.min(queries.size(), start + batchSize);
      float[][] s = scores(queries.subList(start, end));
      for (int i = 0; i < s.length; i++) {
        acc.add(Ranking.rankOf(s[i], relevant[start + i]));
      }
    }
    return acc.result();
  }
}
