package org.fedpeft.retrieval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Retrieval quality of queries with one relevant document each, from the 1-based rank of that
 * document ({@link Ranking#rankOf}).
 *
 * @param top1 fraction of queries whose relevant document ranks first
 * @param recallAt5 fraction whose relevant document is among the first 5
 * @param recallAt10 fraction whose relevant document is among the first 10
 * @param mrr mean over queries of 1 / rank (over the full ranking, not cut off)
 * @param queries number of queries
 */
public record RetrievalMetrics(
    double top1, double recallAt5, double recallAt10, double mrr, int queries) {

  /** Metric names as they appear in metric maps, in this order. */
  public static final String TOP1 = "top1";

  /** See {@link #TOP1}. */
  public static final String RECALL_AT_5 = "recall@5";

  /** See {@link #TOP1}. */
  public static final String RECALL_AT_10 = "recall@10";

  /** See {@link #TOP1}. */
  public static final String MRR = "mrr";

  /**
   * The metrics of a set of ranks.
   *
   * @param ranks 1-based rank of each query's relevant document
   * @throws IllegalArgumentException on an empty set or a rank below 1
   */
  public static RetrievalMetrics ofRanks(int[] ranks) {
    if (ranks.length == 0) {
      throw new IllegalArgumentException("retrieval metrics need at least one query");
    }
    Accumulator acc = new Accumulator();
    for (int r : ranks) {
      acc.add(r);
    }
    return acc.result();
  }

  /**
   * The metrics of score matrices: {@code scores[q]} scores every document for query q, and {@code
   * relevant[q]} is the index of its relevant document.
   */
  public static RetrievalMetrics ofScores(float[][] scores, int[] relevant) {
    if (scores.length != relevant.length) {
      throw new IllegalArgumentException(
          scores.length + " score rows but " + relevant.length + " relevant documents");
    }
    int[] ranks = new int[scores.length];
    for (int q = 0; q < scores.length; q++) {
      ranks[q] = Ranking.rankOf(scores[q], relevant[q]);
    }
    return ofRanks(ranks);
  }

  /**
   * {@code recall@5}, {@code recall@10} and {@code mrr}: what an evaluation whose accuracy is the
   * top-1 adds to it.
   */
  public Map<String, Double> rankingMetrics() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(RECALL_AT_5, recallAt5);
    m.put(RECALL_AT_10, recallAt10);
    m.put(MRR, mrr);
    return m;
  }

  /** {@code top1}, {@code recall@5}, {@code recall@10}, {@code mrr} and {@code queries}. */
  public Map<String, Double> toMap() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(TOP1, top1);
    m.put(RECALL_AT_5, recallAt5);
    m.put(RECALL_AT_10, recallAt10);
    m.put(MRR, mrr);
    m.put("queries", (double) queries);
    return m;
  }

  /** Sums ranks one query at a time. */
  static final class Accumulator {
    private int n;
    private int hits1;
    private int hits5;
    private int hits10;
    private double reciprocal;

    void add(int rank) {
      if (rank < 1) {
        throw new IllegalArgumentException("a rank is at least 1, got " + rank);
      }
      n++;
      hits1 += rank == 1 ? 1 : 0;
      hits5 += rank <= 5 ? 1 : 0;
      hits10 += rank <= 10 ? 1 : 0;
      reciprocal += 1.0 / rank;
    }

    RetrievalMetrics result() {
      if (n == 0) {
        throw new IllegalArgumentException("retrieval metrics need at least one query");
      }
      return new RetrievalMetrics(
          (double) hits1 / n, (double) hits5 / n, (double) hits10 / n, reciprocal / n, n);
    }
  }
}
