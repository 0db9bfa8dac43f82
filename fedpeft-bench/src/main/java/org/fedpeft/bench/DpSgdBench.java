package org.fedpeft.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.PrivacyBudget;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.EncodedExamples;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainListener;

/**
 * DP-SGD step time against the ordinary step (issue 4, item 6): MiniLM + LoRA r=8 q/v + head, 16
 * examples of 128 tokens per step (DP: Poisson batches of expected size 16 from 16 examples, so q =
 * 1 and every example is in), alternating the two, medians after warm-up.
 *
 * <p>Usage: {@code DpSgdBench [TIMED] [METHOD] [K=V,...]}: another adapter method and its options
 * replace LoRA's (e.g. {@code DpSgdBench 10 softembed form=linear}; issue 13).
 */
public final class DpSgdBench {

  public static void main(String[] args) throws Exception {
    int timed = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    String method = args.length > 1 ? args[1] : "lora";
    Map<String, String> options = new java.util.LinkedHashMap<>();
    if (args.length > 2) {
      for (String kv : args[2].split(",")) {
        String[] p = kv.split("=", 2);
        options.put(p[0], p[1]);
      }
    } else if (method.equals("lora")) {
      options.put("rank", "8");
      options.put("dropout", "0");
    }
    System.out.println("adapter " + method + " " + options);
    Engine engine = Engines.pytorch();
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    long[][] tokens = new long[16][128];
    int[] labels = new int[16];
    for (int i = 0; i < 16; i++) {
      tokens[i][0] = 101;
      for (int t = 1; t < 127; t++) {
        tokens[i][t] = 1000 + (i * 131 + t * 17) % 20000;
      }
      tokens[i][127] = 102;
      labels[i] = i % 25;
    }
    EncodedExamples data = new EncodedExamples(tokens, labels);
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        Adapter lora = AdapterRegistry.get(method).create(options, enc, 1);
        ClassificationHead head = new ClassificationHead(root, 384, 25, 2);
        AdamW opt = new AdamW(root)) {
      ClassifierModel model = new ClassifierModel(enc, lora, head);
      LocalTrainer plain = new LocalTrainer(model);
      DpSgd dp = new DpSgd(model, new DpSgd.Config(1.0, 1.0, 16), GaussianNoise.secure());
      PrivacyBudget budget = new PrivacyBudget(Double.POSITIVE_INFINITY, 1e-5);
      TrainConfig one = new TrainConfig(1, 16, 1e-4f, 0f, 0, TrainConfig.Schedule.CONSTANT, 1f, 7);
      List<Double> tp = new ArrayList<>();
      List<Double> td = new ArrayList<>();
      for (int i = 0; i < 3 + timed; i++) {
        long t0 = System.nanoTime();
        plain.train(data, one.withSeed(i), opt, TrainListener.NONE);
        long t1 = System.nanoTime();
        dp.train(data, one.withSeed(i), opt, budget, TrainListener.NONE);
        long t2 = System.nanoTime();
        if (i >= 3) {
          tp.add((t1 - t0) / 1e9);
          td.add((t2 - t1) / 1e9);
        }
      }
      double p = median(tp);
      double d = median(td);
      System.out.printf(
          Locale.ROOT,
          "ordinary step %.3f s, DP-SGD step %.3f s (median of %d, alternating)%n",
          p,
          d,
          timed);
      System.out.printf(Locale.ROOT, "ratio dp_sgd/ordinary: %.2f%n", d / p);
    }
  }

  static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    s.sort(null);
    return s.get(s.size() / 2);
  }
}
