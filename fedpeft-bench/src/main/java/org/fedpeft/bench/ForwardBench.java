package org.fedpeft.bench;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TokenBatch;

/**
 * Forward-only sentence-embedding time of the base model at BATCH x 128 tokens (median after
 * warm-up). Usage: {@code ForwardBench [BATCH] [TIMED]}
 */
public final class ForwardBench {

  public static void main(String[] args) throws Exception {
    BenchSupport.Args cli = BenchSupport.Args.of(args, 0, 2, "ForwardBench [BATCH] [TIMED]");
    int batch = cli.count(0, "BATCH", 16);
    int timed = cli.count(1, "TIMED", 20);
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    EncodedExamples data = BenchSupport.examples(8, 2024);
    List<Double> t = new ArrayList<>();
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer()) {
      SentenceEmbedder e = new SentenceEmbedder(enc, tok, EncoderHooks.NONE);
      for (int i = 0; i < 3 + timed; i++) {
        long[][] seqs = new long[batch][];
        for (int j = 0; j < batch; j++) {
          seqs[j] = data.tokens()[(i * batch + j) % data.size()];
        }
        TokenBatch tb = TokenBatch.pad(seqs);
        long t0 = System.nanoTime();
        e.embedBatch(tb);
        if (i >= 3) {
          t.add((System.nanoTime() - t0) / 1e9);
        }
      }
    }
    System.out.println(
        BenchSupport.fmt(
            "forward %dx%d: %s, %.1f sentences/s; load %s",
            batch,
            BenchSupport.SEQ,
            BenchSupport.summary(t),
            batch / BenchSupport.median(t),
            BenchSupport.load()));
  }
}
