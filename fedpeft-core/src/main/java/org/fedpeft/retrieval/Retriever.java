package org.fedpeft.retrieval;

import java.util.ArrayList;
import java.util.List;

/** Scores every document of a corpus for each query; higher is better. */
public interface Retriever {

  /** One retrieved document: its index in the corpus and its score. */
  record Hit(int document, float score) {}

  /** Scores of each query against every document, (queries, documents) in corpus order. */
  float[][] scores(List<String> queries);

  /**
   * The {@code k} best documents of each query, in rank order ({@link Ranking#topK}: ties go to the
   * lower document index).
   */
  default List<List<Hit>> search(List<String> queries, int k) {
    List<List<Hit>> out = new ArrayList<>();
    for (float[] row : scores(queries)) {
      List<Hit> hits = new ArrayList<>();
      for (int d : Ranking.topK(row, k)) {
        hits.add(new Hit(d, row[d]));
      }
      out.add(hits);
    }
    return out;
  }
}
