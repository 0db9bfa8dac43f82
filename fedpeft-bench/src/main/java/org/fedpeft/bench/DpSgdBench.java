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
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.privacy.DpSgd;
import org.fedpeft.privacy.GaussianNoise;
import org.fedpeft.privacy.PrivacyBudget;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;
import org.fedpeft.train.TrainListener;

/**
 * DP-SGD step time against the ordinary step (issue 4, item 6; issue 13, item 5): MiniLM + an
 * adapter + head, 16 examples of 128 tokens per step (DP: Poisson batches of expected size 16 from
 * 16 examples, so q = 1 and every example is in). Every contender (an adapter method with its
 * options) gets its own adapter on one shared encoder; each iteration runs, for every contender in
 * turn, one ordinary step and one DP-SGD step, so the contenders and the two kinds of step
 * alternate and share the machine's state. Prints the CPU and its vector extensions first, then per
 * contender the medians after 3 warm-up iterations and their ratio.
 *
 * <p>Usage: {@code DpSgdBench [TIMED] [METHOD [K=V,...]]...}: each method name may be followed by
 * its options; without any, LoRA r=8 on query/value without dropout. E.g. {@code DpSgdBench 5
 * softembed form=linear,placement=tokens lora rank=8,dropout=0}. System property {@code
 * dp.classes}: the head's outputs (default 25; a classifier-as-retriever head has one per
 * document).
 */
public final class DpSgdBench {

  /** One adapter method with its options. */
  record Contender(String method, Map<String, String> options) {
    String label() {
      return method + " " + options;
    }
  }

  /** The contenders named by the arguments after the first. */
  static List<Contender> contenders(String[] args) {
    List<Contender> out = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      Map<String, String> options = new java.util.LinkedHashMap<>();
      String method = args[i];
      if (i + 1 < args.length && args[i + 1].contains("=")) {
        for (String kv : args[++i].split(",")) {
          String[] p = kv.split("=", 2);
          options.put(p[0], p[1]);
        }
      } else if (method.equals("lora")) {
        options.put("rank", "8");
        options.put("dropout", "0");
      }
      out.add(new Contender(method, options));
    }
    if (out.isEmpty()) {
      out.add(new Contender("lora", Map.of("rank", "8", "dropout", "0")));
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    int timed =
        BenchSupport.Args.of(args, 0, Integer.MAX_VALUE, "DpSgdBench [TIMED] [METHOD [K=V,...]]...")
            .count(0, "TIMED", 10);
    List<Contender> contenders = contenders(args);
    int classes = Integer.getInteger("dp.classes", 25);
    System.out.println(MachineInfo.describe());
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
    List<AutoCloseable> open = new ArrayList<>();
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root)) {
      int n = contenders.size();
      LocalTrainer[] plain = new LocalTrainer[n];
      DpSgd[] dp = new DpSgd[n];
      AdamW[] opt = new AdamW[n];
      for (int c = 0; c < n; c++) {
        Contender k = contenders.get(c);
        System.out.println("contender " + (c + 1) + ": " + k.label() + ", " + classes + " classes");
        Adapter adapter = AdapterRegistry.get(k.method()).create(k.options(), enc, 1);
        ClassificationHead head = new ClassificationHead(root, 384, classes, 2);
        opt[c] = new AdamW(root);
        open.add(adapter);
        open.add(head);
        open.add(opt[c]);
        ClassifierModel model = new ClassifierModel(enc, adapter, head);
        plain[c] = new LocalTrainer(model);
        dp[c] = new DpSgd(model, new DpSgd.Config(1.0, 1.0, 16), GaussianNoise.secure());
      }
      PrivacyBudget budget = new PrivacyBudget(Double.POSITIVE_INFINITY, 1e-5);
      TrainConfig one = new TrainConfig(1, 16, 1e-4f, 0f, 0, TrainConfig.Schedule.CONSTANT, 1f, 7);
      List<List<Double>> tp = new ArrayList<>();
      List<List<Double>> td = new ArrayList<>();
      for (int c = 0; c < n; c++) {
        tp.add(new ArrayList<>());
        td.add(new ArrayList<>());
      }
      for (int i = 0; i < 3 + timed; i++) {
        for (int c = 0; c < n; c++) {
          long t0 = System.nanoTime();
          plain[c].train(data, one.withSeed(i), opt[c], TrainListener.NONE);
          long t1 = System.nanoTime();
          dp[c].train(data, one.withSeed(i), opt[c], budget, TrainListener.NONE);
          long t2 = System.nanoTime();
          if (i >= 3) {
            tp.get(c).add((t1 - t0) / 1e9);
            td.get(c).add((t2 - t1) / 1e9);
          }
        }
      }
      for (int c = 0; c < n; c++) {
        double p = median(tp.get(c));
        double d = median(td.get(c));
        System.out.printf(
            Locale.ROOT,
            "%s: ordinary step %.3f s, DP-SGD step %.3f s (median of %d, alternating)%n",
            contenders.get(c).label(),
            p,
            d,
            timed);
        System.out.printf(Locale.ROOT, "ratio dp_sgd/ordinary: %.2f%n", d / p);
      }
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
    }
  }

  static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    s.sort(null);
    return s.get(s.size() / 2);
  }
}
