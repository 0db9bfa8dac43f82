package org.fedpeft.model;

import java.io.IOException;

/** Tiny random BERT models with the bundled tokenizer, for fast tests. */
public final class TinyModels {
  private TinyModels() {}

  /** 2 layers, hidden 32, 4 heads, the MiniLM tokenizer (vocabulary 30522), seq {@code <=} 64. */
  public static PretrainedModel tiny(long seed) throws IOException {
    PretrainedModel base = PretrainedModel.bundledMiniLm();
    return RandomBert.tiny(base.tokenizerJson(), base.config().vocabSize(), seed);
  }
}
