package org.fedpeft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import org.fedpeft.data.Dataset;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;

/**
 * The frozen model of a run, loaded once and shared: the engine, the encoder's weights, the
 * tokenizer. Adapters and heads are created on it per client or per run.
 */
public final class FrozenBase implements AutoCloseable {

  private final PretrainedModel model;
  private final Engine engine;
  private final NDManager root;
  private final BertEncoder encoder;
  private final TextTokenizer tokenizer;

  public FrozenBase(PretrainedModel model) throws IOException {
    this.model = model;
    this.engine = Engines.pytorch();
    this.root = engine.newBaseManager();
    this.encoder = new BertEncoder(model.weights(), root);
    this.tokenizer = model.newTokenizer();
  }

  public PretrainedModel model() {
    return model;
  }

  public Engine engine() {
    return engine;
  }

  /** The manager under which adapters, heads and optimisers are created. */
  public NDManager root() {
    return root;
  }

  public BertEncoder encoder() {
    return encoder;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  /** Tokenizes a dataset with its label indices. */
  public EncodedExamples encode(Dataset data) {
    return EncodedExamples.encode(
        tokenizer, data.examples().stream().map(e -> e.text()).toList(), data.labelIndices());
  }

  @Override
  public void close() {
    tokenizer.close();
    encoder.close();
    root.close();
  }
}
