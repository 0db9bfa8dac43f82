package org.fedpeft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TokenBatch;

/**
 * Numbers that a speed change must not change: the losses of 8 training steps (LoRA dropout 0.05
 * and 0) and the embeddings of a padded batch (sequences of different lengths), written one per
 * line. {@code Fingerprint OUT} writes them; {@code Fingerprint OUT REFERENCE} also prints the
 * largest relative difference of losses and the largest absolute difference of embeddings.
 */
public final class Fingerprint {

  public static void main(String[] args) throws Exception {
    BenchSupport.Args cli = BenchSupport.Args.of(args, 1, 2, "Fingerprint OUT [REFERENCE]");
    if (args.length > 1) {
      cli.file(1, "REFERENCE");
    }
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    EncodedExamples data = BenchSupport.examples(8, 2024);
    List<Double> losses = new ArrayList<>();
    for (float dropout : new float[] {0.05f, 0f}) {
      try (FedpeftTrainer ft = new FedpeftTrainer(pm, dropout)) {
        for (int i = 0; i < 8; i++) {
          losses.add(ft.step(FedpeftTrainer.slice(data, i))[1]);
        }
      }
    }
    // A padded batch: lengths 5..128, plus a model with a trained (non-zero) LoRA B in it.
    long[][] seqs = new long[12][];
    for (int i = 0; i < seqs.length; i++) {
      int len = 5 + i * 11;
      seqs[i] = java.util.Arrays.copyOf(data.tokens()[i], len);
      seqs[i][len - 1] = 102;
    }
    TokenBatch padded = TokenBatch.pad(seqs);
    List<Double> emb = new ArrayList<>();
    try (FedpeftTrainer ft = new FedpeftTrainer(pm, 0f);
        TextTokenizer tok = pm.newTokenizer()) {
      for (float[] row :
          new SentenceEmbedder(ft.encoder, tok, EncoderHooks.NONE).embedBatch(padded)) {
        for (float x : row) {
          emb.add((double) x);
        }
      }
      for (int i = 0; i < 3; i++) {
        ft.step(FedpeftTrainer.slice(data, i));
      }
      // Large LoRA B values so that the adapter path visibly changes the embeddings.
      java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
      java.util.Map<String, org.fedpeft.tensor.HostTensor> b = new java.util.LinkedHashMap<>();
      for (var t : ft.lora.tensors()) {
        if (t.name().endsWith("lora_B")) {
          long[] shape = t.array().getShape().getShape();
          float[] v = new float[(int) (shape[0] * shape[1])];
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rng.nextDouble() - 0.5) * 0.1);
          }
          b.put(t.name(), new org.fedpeft.tensor.HostTensor(shape, v));
        }
      }
      ft.lora.loadState(b);
      for (float[] row : new SentenceEmbedder(ft.encoder, tok, ft.lora).embedBatch(padded)) {
        for (float x : row) {
          emb.add((double) x);
        }
      }
    }
    Path out = Path.of(args[0]);
    List<String> lines = new ArrayList<>();
    losses.forEach(l -> lines.add("loss " + l));
    emb.forEach(e -> lines.add("emb " + e));
    Files.write(out, lines);
    if (args.length > 1) {
      compare(lines, Files.readAllLines(Path.of(args[1])));
    }
  }

  private static void compare(List<String> now, List<String> ref) throws IOException {
    double lossRel = 0;
    double embAbs = 0;
    for (int i = 0; i < now.size(); i++) {
      String[] a = now.get(i).split(" ");
      String[] b = ref.get(i).split(" ");
      double x = Double.parseDouble(a[1]);
      double y = Double.parseDouble(b[1]);
      if (a[0].equals("loss")) {
        lossRel = Math.max(lossRel, Math.abs(x - y) / Math.abs(y));
      } else {
        embAbs = Math.max(embAbs, Math.abs(x - y));
      }
    }
    System.out.println(
        BenchSupport.fmt(
            "vs reference: max loss rel diff %.2e, max embedding abs diff %.2e", lossRel, embAbs));
  }
}
