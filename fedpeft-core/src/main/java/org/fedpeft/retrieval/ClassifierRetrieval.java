package org.fedpeft.retrieval;

import java.util.Map;
import org.fedpeft.model.BatchProgress;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.Evaluation;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.LogitsConsumer;

/**
 * Classifier-as-retriever (CaR): a {@link ClassifierModel} whose labels are the document ids of a
 * corpus scores every document for a query by its logit; the ranking of the logits is the retrieval
 * result.
 */
public final class ClassifierRetrieval {

  private ClassifierRetrieval() {}

  /**
   * Runs the model in evaluation mode over every query and hands each query's logits to {@code
   * sink}: {@link LocalTrainer#logits}, the evaluation's own pass (batches of at most {@code
   * batchSize} queries sorted by length and at most {@link LocalTrainer#EVAL_TOKEN_BUDGET} padded
   * tokens), so each query's scores are the logits the evaluation ranks.
   */
  public static void forEachLogits(
      ClassifierModel model, EncodedExamples queries, int batchSize, LogitsConsumer sink) {
    new LocalTrainer(model).logits(queries.tokens(), batchSize, BatchProgress.NONE, sink);
  }

  /**
   * The retrieval metrics of the model on labelled queries: each query's label index is its
   * relevant document. The result does not depend on {@code batchSize} beyond the rounding of the
   * logits.
   */
  public static RetrievalMetrics evaluate(
      ClassifierModel model, EncodedExamples queries, int batchSize) {
    int[] ranks = new int[queries.size()];
    forEachLogits(model, queries, batchSize, ranking(queries, ranks));
    // Summed in query order, so the result does not depend on the batching.
    return RetrievalMetrics.ofRanks(ranks);
  }

  /**
   * The evaluation of the head on labelled queries, the one that {@code train}, {@code eval} and a
   * simulation report: {@link LocalTrainer#evaluate(EncodedExamples, int, BatchProgress)}'s loss
   * and accuracy (i.e. top-1), and with {@code rank} also the ranking metrics of the same logits
   * ({@link RetrievalMetrics#rankingMetrics()}: recall@5, recall@10, MRR), from the same forward
   * pass over the queries: each query's label index is its relevant document. {@code rank} is for
   * single-task data with a retrieval corpus, whose logits score every document.
   *
   * <p>The pass is the evaluation's (its batches, at most {@code batchSize} queries and {@link
   * LocalTrainer#EVAL_TOKEN_BUDGET} padded tokens each), so loss and accuracy are exactly those of
   * {@code trainer.evaluate} either way; the ranks equal those of {@link #evaluate(ClassifierModel,
   * EncodedExamples, int)} unless batching's float rounding reorders two nearly equal logits.
   *
   * @param rank whether to add the ranking metrics
   * @param progress told after each batch how many of the queries are evaluated
   */
  public static Evaluation evaluateHead(
      LocalTrainer trainer,
      EncodedExamples queries,
      int batchSize,
      boolean rank,
      BatchProgress progress) {
    if (!rank) {
      return trainer.evaluate(queries, batchSize, progress);
    }
    int[] ranks = new int[queries.size()];
    Evaluation ev = trainer.evaluate(queries, batchSize, progress, ranking(queries, ranks));
    return ev.withMetrics(RetrievalMetrics.ofRanks(ranks).rankingMetrics());
  }

  /** Stores each query's rank of its relevant document (its label) in {@code ranks}. */
  private static LogitsConsumer ranking(EncodedExamples queries, int[] ranks) {
    int[] relevant = queries.labels();
    return (q, row) -> ranks[q] = Ranking.rankOf(row, relevant[q]);
  }

  /**
   * {@link #evaluate} as a metric map ({@code top1}, {@code recall@5}, {@code recall@10}, {@code
   * mrr}, {@code queries}).
   */
  public static Map<String, Double> metrics(
      ClassifierModel model, EncodedExamples queries, int batchSize) {
    return evaluate(model, queries, batchSize).toMap();
  }
}
