package org.fedpeft.peft;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.model.TokenBatch;

/**
 * What the adapter conformance tests run on: a tiny random BERT in one precision, a padded batch of
 * four texts and the same texts as labelled training data.
 */
final class ConformanceFixture implements AutoCloseable {

  final NDManager root;
  final BertEncoder encoder;
  final TextTokenizer tokenizer;
  final TokenBatch batch;
  final EncodedExamples data;

  ConformanceFixture(Precision precision) throws IOException {
    root = Engines.pytorch().newBaseManager();
    PretrainedModel pm = TinyModels.tiny(11);
    encoder = new BertEncoder(pm.weights(), root, precision);
    tokenizer = pm.newTokenizer();
    List<String> texts =
        List.of(
            "a small animal",
            "a tool for cutting wood",
            "to move quickly on foot",
            "the colour of the sky on a clear day, often seen over the sea");
    batch = tokenizer.encodeBatch(texts);
    data = EncodedExamples.encode(tokenizer, texts, new int[] {0, 1, 2, 1});
  }

  /** The encoder's output for the batch under {@code hooks}, evaluation mode. */
  float[] hidden(EncoderHooks hooks) {
    try (NDScope scope = new NDScope();
        NDManager m = root.newSubManager()) {
      scope.suppressNotUsedWarning();
      Shape s = new Shape(batch.batchSize(), batch.seqLen());
      return encoder
          .forward(m.create(batch.ids(), s), m.create(batch.mask(), s), hooks, false)
          .toFloatArray();
    }
  }

  Adapter create(String method, Map<String, String> options, long seed) {
    return AdapterRegistry.get(method).create(options, encoder, seed);
  }

  @Override
  public void close() {
    tokenizer.close();
    encoder.close();
    root.close();
  }
}
