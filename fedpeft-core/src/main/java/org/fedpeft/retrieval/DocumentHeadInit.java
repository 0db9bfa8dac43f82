package org.fedpeft.retrieval;

import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;

/**
 * A classifier-as-retriever head that starts where MIPS is: row {@code d} of the weight is {@code
 * scale} times document {@code d}'s unit sentence embedding (mean pooling, L2 normalisation, as
 * {@link EmbeddingRetrieval#embed}), and the bias is 0.
 *
 * <p>The head scores a query's mean-pooled output {@code q} as {@code scale |q| cos(q, d)}; {@code
 * |q|} is the same for every document, so before training the head ranks documents exactly as
 * cosine nearest-neighbour search does, and cross-entropy training starts from that ranking instead
 * of from a random one. The scale sets how sharp the softmax is at the start ({@code scale |q|} is
 * an inverse temperature); the default 20 matches the inverse temperature 1/0.05 of the contrastive
 * objective. Measured on wordnet-sense-retrieval (docs/methods.md, "Why CaR trails MIPS"): a
 * randomly initialised head learns the training queries' kind of text only, while this one keeps
 * MIPS's quality on other kinds.
 *
 * <p>The corpus is what the head's labels are, so whoever builds the head holds it: the server of a
 * federation computes this once and sends it as the initial global head. No client data is used.
 */
public final class DocumentHeadInit {

  private static final int BATCH = 64;

  private DocumentHeadInit() {}

  /**
   * The head's weight and bias, named as {@code layout} names them.
   *
   * @param model the model whose encoder (with its adapter, as it starts) embeds the documents
   * @param documents document {@code d} is the document of label {@code d}
   * @param layout a single-task layout with one output per document
   * @param scale the length of every weight row, positive
   */
  public static Map<String, HostTensor> tensors(
      ClassifierModel model, EncodedExamples documents, HeadLayout layout, double scale) {
    if (layout.multiTask()) {
      throw new IllegalArgumentException(
          "head.init = documents needs single-task retrieval data; this head has "
              + layout.parts().size()
              + " tasks");
    }
    if (layout.total() != documents.size()) {
      throw new IllegalArgumentException(
          "head.init = documents: the head has "
              + layout.total()
              + " outputs but the corpus has "
              + documents.size()
              + " documents");
    }
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("head.scale must be a positive number, got " + scale);
    }
    float[][] unit = EmbeddingRetrieval.embed(model, documents, BATCH);
    int hidden = unit.length == 0 ? 0 : unit[0].length;
    float[] w = new float[unit.length * hidden];
    for (int d = 0; d < unit.length; d++) {
      for (int k = 0; k < hidden; k++) {
        w[d * hidden + k] = (float) (scale * unit[d][k]);
      }
    }
    Map<String, HostTensor> out = new TreeMap<>();
    out.put(layout.weightName(0), new HostTensor(new long[] {unit.length, hidden}, w));
    out.put(layout.biasName(0), new HostTensor(new long[] {unit.length}, new float[unit.length]));
    return out;
  }
}
