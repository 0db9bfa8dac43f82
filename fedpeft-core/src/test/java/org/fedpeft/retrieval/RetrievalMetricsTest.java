package org.fedpeft.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetrievalMetricsTest {

  /**
   * A corpus of 12 documents and 4 queries. By hand: query 0's document (3) has the top score, rank
   * 1; query 1's document (2) ties with document 0 at the top and ranks after it, rank 2; query 2's
   * document (11) has six higher scores, rank 7; query 3's document (0) has the lowest score, rank
   * 12.
   */
  static final float[][] SCORES = {
    {0.1f, 0.2f, 0.3f, 0.9f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f},
    {0.8f, 0.1f, 0.8f, 0.7f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f},
    {6f, 5f, 4f, 3f, 2f, 1f, 0f, -1f, -2f, -3f, -4f, 0.5f},
    {-9f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f}
  };

  static final int[] RELEVANT = {3, 2, 11, 0};

  @Test
  void ranksFollowScoresAndBreakTiesByLowerIndex() {
    int[] ranks = new int[4];
    for (int q = 0; q < 4; q++) {
      ranks[q] = Ranking.rankOf(SCORES[q], RELEVANT[q]);
    }
    assertArrayEquals(new int[] {1, 2, 7, 12}, ranks);
  }

  @Test
  void metricsEqualTheHandComputation() {
    RetrievalMetrics m = RetrievalMetrics.ofScores(SCORES, RELEVANT);
    assertEquals(0.25, m.top1()); // rank 1 once
    assertEquals(0.5, m.recallAt5()); // ranks 1 and 2
    assertEquals(0.75, m.recallAt10()); // ranks 1, 2 and 7
    assertEquals((1 + 1 / 2.0 + 1 / 7.0 + 1 / 12.0) / 4, m.mrr(), 1e-12);
    assertEquals(4, m.queries());
    assertEquals(
        List.of("top1", "recall@5", "recall@10", "mrr", "queries"),
        List.copyOf(m.toMap().keySet()));
    assertEquals(Map.entry("recall@10", 0.75), Map.entry("recall@10", m.toMap().get("recall@10")));
  }

  @Test
  void topKListsInRankOrder() {
    assertArrayEquals(new int[] {3, 2, 1}, Ranking.topK(SCORES[0], 3));
    assertArrayEquals(new int[] {0, 2, 3, 1}, Ranking.topK(SCORES[1], 4)); // the tie: 0 before 2
    assertArrayEquals(new int[] {3, 2, 1, 0}, Ranking.topK(new float[] {1, 2, 3, 4}, 10));
    for (int q = 0; q < 4; q++) {
      int[] all = Ranking.topK(SCORES[q], 12);
      assertEquals(RELEVANT[q], all[Ranking.rankOf(SCORES[q], RELEVANT[q]) - 1]);
    }
  }

  @Test
  void rejectsWhatHasNoRank() {
    assertThrows(IllegalArgumentException.class, () -> Ranking.rankOf(new float[] {1, 2}, 2));
    assertThrows(
        IllegalArgumentException.class, () -> Ranking.rankOf(new float[] {1, Float.NaN}, 0));
    assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.ofRanks(new int[0]));
    assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.ofRanks(new int[] {0}));
    assertThrows(IllegalArgumentException.class, () -> Ranking.topK(new float[] {1}, 0));
  }
}
