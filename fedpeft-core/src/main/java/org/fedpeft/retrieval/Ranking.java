package org.fedpeft.retrieval;

import java.util.Arrays;

/**
 * Ranks of documents under a score vector, with one tie rule shared by every metric and listing: a
 * higher score ranks first, and among equal scores the lower document index ranks first.
 */
public final class Ranking {

  private Ranking() {}

  /**
   * The 1-based rank of document {@code doc}: 1 plus the number of documents with a higher score,
   * plus the number of documents with a lower index and the same score.
   *
   * @throws IllegalArgumentException if {@code doc} is out of range or a score is NaN
   */
  public static int rankOf(float[] scores, int doc) {
    if (doc < 0 || doc >= scores.length) {
      throw new IllegalArgumentException(
          "document index " + doc + " is outside the " + scores.length + " scored documents");
    }
    float s = scores[doc];
    if (Float.isNaN(s)) {
      throw new IllegalArgumentException("score of document " + doc + " is NaN");
    }
    int rank = 1;
    for (int j = 0; j < scores.length; j++) {
      float t = scores[j];
      if (Float.isNaN(t)) {
        throw new IllegalArgumentException("score of document " + j + " is NaN");
      }
      if (t > s || (t == s && j < doc)) {
        rank++;
      }
    }
    return rank;
  }

  /**
   * The indices of the {@code k} best documents in rank order (fewer if there are fewer documents).
   */
  public static int[] topK(float[] scores, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    // Stable sort by descending score: equal scores keep the lower index first.
    Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
    int n = Math.min(k, scores.length);
    int[] top = new int[n];
    for (int i = 0; i < n; i++) {
      top[i] = order[i];
    }
    return top;
  }
}
