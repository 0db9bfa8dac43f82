package org.fedpeft.retrieval;

import java.util.ArrayList;
import java.util.List;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.train.ClassifierModel;

/**
 * Classifier-as-retriever over a corpus: a classification head whose labels are exactly the
 * corpus's document ids (in any order) scores each document by the logit of its label. {@link
 * #search} ranks by the logits (as the metrics of {@link ClassifierRetrieval} do) and reports each
 * hit's softmax probability over the corpus as its score.
 */
public final class CarRetriever implements Retriever {

  private final ClassifierModel model;
  private final TextTokenizer tokenizer;
  private final int[] documentOfLabel;
  private final int documents;
  private final int batchSize;

  /**
   * @param headLabels the head's labels, in output order
   * @throws IllegalArgumentException if the head's labels are not the corpus's ids
   */
  public CarRetriever(
      ClassifierModel model,
      TextTokenizer tokenizer,
      List<String> headLabels,
      Corpus corpus,
      int batchSize) {
    if (headLabels.size() != model.head().numLabels()) {
      throw new IllegalArgumentException(
          headLabels.size() + " labels for a head with " + model.head().numLabels() + " outputs");
    }
    if (headLabels.size() != corpus.size()) {
      throw new IllegalArgumentException(
          "the head has "
              + headLabels.size()
              + " labels but the corpus "
              + corpus.name()
              + " has "
              + corpus.size()
              + " documents");
    }
    documentOfLabel = new int[headLabels.size()];
    for (int i = 0; i < documentOfLabel.length; i++) {
      int d = corpus.indexOf(headLabels.get(i));
      if (d < 0) {
        throw new IllegalArgumentException(
            "the head's label \""
                + headLabels.get(i)
                + "\" is not a document id of "
                + corpus.name());
      }
      documentOfLabel[i] = d;
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.documents = corpus.size();
    this.batchSize = batchSize;
  }

  @Override
  public float[][] scores(List<String> queries) {
    EncodedExamples enc = EncodedExamples.encode(tokenizer, queries, new int[queries.size()]);
    float[][] out = new float[queries.size()][];
    ClassifierRetrieval.forEachLogits(
        model,
        enc,
        batchSize,
        (q, logits) -> {
          float[] row = new float[documents];
          for (int i = 0; i < logits.length; i++) {
            row[documentOfLabel[i]] = logits[i];
          }
          out[q] = row;
        });
    return out;
  }

  /** The best {@code k} documents by logit; each hit's score is its softmax probability. */
  @Override
  public List<List<Hit>> search(List<String> queries, int k) {
    List<List<Hit>> out = new ArrayList<>();
    for (float[] row : scores(queries)) {
      float[] p = ClassificationHead.probabilities(row);
      List<Hit> hits = new ArrayList<>();
      for (int d : Ranking.topK(row, k)) {
        hits.add(new Hit(d, p[d]));
      }
      out.add(hits);
    }
    return out;
  }
}
