package org.fedpeft.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntPredicate;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.Pooling;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.retrieval.Ranking;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.AdamW;
import org.fedpeft.train.Autograd;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;
import org.fedpeft.train.TrainConfig;

/**
 * Why classifier-as-retriever (CaR) trails MIPS on wordnet-sense-retrieval (issue 13): cheap
 * measurements on the frozen encoder. The mean-pooled MiniLM outputs of the corpus and of every
 * query are computed once (and cached in CACHE_DIR); a head-only CaR run is then the same
 * computation as {@code fedpeft train --adapter none} (same head init, batch plan, AdamW, warm-up,
 * linear decay, clipping; the frozen encoder has no dropout, so only the batching of the encoder's
 * float arithmetic differs), but on the cached features, so it takes seconds.
 *
 * <p>Rows: MIPS and CaR top-1 on the training views, the validation views and the test sentences;
 * both split by whether a test sentence contains one of its synset's lemmas (which the document
 * text starts with and the training views have removed); CaR with 1, 2 or 3 training views per
 * document and with the document's own text added as a training query; learning rate and steps; and
 * CaR with the head initialised from the document embeddings (logits = 20 x cosine, bias 0), which
 * ranks exactly as MIPS before training.
 *
 * <p>Usage: {@code CarDiagnostics TASK SEED MAX_EVAL CACHE_DIR}, e.g. {@code CarDiagnostics
 * wordnet-sense-retrieval:documents=1000 42 1000 /tmp/car-cache}.
 */
public final class CarDiagnostics {

  private CarDiagnostics() {}

  /** Mean-pooled features and labels of one set of texts. */
  record Features(float[][] pooled, int[] labels) {
    int size() {
      return labels.length;
    }

    Features subset(IntPredicate keep) {
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < labels.length; i++) {
        if (keep.test(i)) {
          idx.add(i);
        }
      }
      float[][] p = new float[idx.size()][];
      int[] l = new int[idx.size()];
      for (int i = 0; i < p.length; i++) {
        p[i] = pooled[idx.get(i)];
        l[i] = labels[idx.get(i)];
      }
      return new Features(p, l);
    }

    Features plus(Features other) {
      float[][] p = Arrays.copyOf(pooled, pooled.length + other.pooled.length);
      System.arraycopy(other.pooled, 0, p, pooled.length, other.pooled.length);
      int[] l = Arrays.copyOf(labels, labels.length + other.labels.length);
      System.arraycopy(other.labels, 0, l, labels.length, other.labels.length);
      return new Features(p, l);
    }
  }

  public static void main(String[] args) throws Exception {
    BenchSupport.Args cli =
        BenchSupport.Args.of(args, 4, 4, "CarDiagnostics TASK SEED MAX_EVAL CACHE_DIR");
    String task = args[0];
    long seed = cli.count(1, "SEED", 0, 0);
    int maxEval = cli.count(2, "MAX_EVAL", 0);
    Path cache = Path.of(args[3]);
    Files.createDirectories(cache);
    System.out.println(MachineInfo.describe());
    TaskSplits splits =
        Tasks.load(
            task, seed, TaskOptions.defaults().withMaxValidation(maxEval).withMaxTest(maxEval));
    Dataset corpus = splits.retrievalCorpus().orElseThrow();
    System.out.printf(
        Locale.ROOT,
        "task %s, seed %d: %d documents; %d training views, %d validation views, %d test"
            + " sentences%n",
        task,
        seed,
        corpus.size(),
        splits.train().size(),
        splits.validation().size(),
        splits.test().size());
    try (FrozenBase base = new FrozenBase(PretrainedModel.bundledMiniLm())) {
      String key = task.replaceAll("[^A-Za-z0-9=]", "_") + "-" + seed + "-" + maxEval;
      long t0 = System.nanoTime();
      Features docs = features(base, corpus, cache.resolve(key + "-corpus.bin"));
      Features train = features(base, splits.train(), cache.resolve(key + "-train.bin"));
      Features val = features(base, splits.validation(), cache.resolve(key + "-validation.bin"));
      Features test = features(base, splits.test(), cache.resolve(key + "-test.bin"));
      System.out.printf(Locale.ROOT, "features ready in %.0f s%n", (System.nanoTime() - t0) / 1e9);
      float[][] docUnit = normalised(docs.pooled());
      boolean[] lemmaInTest = lemmaInQuery(corpus, splits.test());
      int withLemma = 0;
      for (boolean b : lemmaInTest) {
        withLemma += b ? 1 : 0;
      }
      System.out.printf(
          Locale.ROOT,
          "test sentences containing one of their synset's lemmas: %d of %d (%.3f)%n",
          withLemma,
          lemmaInTest.length,
          (double) withLemma / lemmaInTest.length);

      System.out.println();
      System.out.println("row\ttrain views\tvalidation views\ttest sentences");
      row("MIPS, frozen encoder", mips(docUnit, train), mips(docUnit, val), mips(docUnit, test));

      TrainConfig reference = config(600, 5e-3f, seed);
      float[][][] car = trainHead(base, train, corpus.size(), reference, null);
      row("CaR head only, 600 steps, lr 5e-3", car(car, train), car(car, val), car(car, test));

      System.out.println();
      System.out.println("test sentences by lemma\twith a lemma\twithout");
      Features testWith = test.subset(i -> lemmaInTest[i]);
      Features testWithout = test.subset(i -> !lemmaInTest[i]);
      System.out.printf(
          Locale.ROOT,
          "MIPS, frozen encoder\t%.3f\t%.3f%n",
          mips(docUnit, testWith),
          mips(docUnit, testWithout));
      System.out.printf(
          Locale.ROOT, "CaR head only\t%.3f\t%.3f%n", car(car, testWith), car(car, testWithout));

      System.out.println();
      System.out.println("CaR head only, 600 steps, lr 5e-3\ttrain top-1\ttest top-1");
      // The training views of a document in their order in the split: the first kept.
      int[] viewIndex = viewIndices(train);
      for (int views = 1; views <= 3; views++) {
        int v = views;
        Features sub = train.subset(i -> viewIndex[i] < v);
        float[][][] h = trainHead(base, sub, corpus.size(), reference, null);
        System.out.printf(
            Locale.ROOT,
            "%d training view(s) per document (%d queries)\t%.3f\t%.3f%n",
            views,
            sub.size(),
            car(h, sub),
            car(h, test));
      }
      Features withDocs = train.plus(docs);
      float[][][] h = trainHead(base, withDocs, corpus.size(), reference, null);
      System.out.printf(
          Locale.ROOT,
          "3 views + the document's own text (%d queries)\t%.3f\t%.3f%n",
          withDocs.size(),
          car(h, withDocs),
          car(h, test));

      System.out.println();
      System.out.println("CaR head only: steps x lr\ttrain top-1\tvalidation top-1\ttest top-1");
      for (int steps : new int[] {600, 2400}) {
        for (float lr : new float[] {1e-3f, 5e-3f, 2e-2f}) {
          float[][][] g = trainHead(base, train, corpus.size(), config(steps, lr, seed), null);
          System.out.printf(
              Locale.ROOT,
              "%d steps, lr %.0e\t%.3f\t%.3f\t%.3f%n",
              steps,
              lr,
              car(g, train),
              car(g, val),
              car(g, test));
        }
      }

      System.out.println();
      System.out.println(
          "CaR head initialised from the document embeddings (20 x cosine)\ttrain top-1\tvalidation"
              + " top-1\ttest top-1");
      float[][][] init = {scaled(docUnit, 20f), {new float[corpus.size()]}};
      row("before training (= MIPS)", car(init, train), car(init, val), car(init, test));
      for (float lr : new float[] {1e-4f, 1e-3f, 5e-3f}) {
        float[][][] g = trainHead(base, train, corpus.size(), config(600, lr, seed), init);
        row(
            String.format(Locale.ROOT, "600 steps, lr %.0e", lr),
            car(g, train),
            car(g, val),
            car(g, test));
      }
      float[][][] g = trainHead(base, withDocs, corpus.size(), config(600, 1e-3f, seed), init);
      row(
          "600 steps, lr 1e-03, views + document texts",
          car(g, withDocs),
          car(g, val),
          car(g, test));

      // Training queries of the test's kind: every example sentence of every document (the test
      // split without its cap); for each document with at least two, its first sentence joins the
      // training views and the others are the held-out queries.
      Dataset allSentences =
          Tasks.load(
                  task,
                  seed,
                  TaskOptions.defaults().withMaxValidation(maxEval).withMaxTest(TaskOptions.NO_CAP))
              .test();
      Features sentencesAll =
          features(base, allSentences, cache.resolve(key + "-all-sentences.bin"));
      int[] sentenceIndex = viewIndices(sentencesAll);
      int[] sentences = new int[corpus.size()];
      for (int l : sentencesAll.labels()) {
        sentences[l]++;
      }
      Features firstSentence =
          sentencesAll.subset(
              i -> sentenceIndex[i] == 0 && sentences[sentencesAll.labels()[i]] >= 2);
      Features heldOut = sentencesAll.subset(i -> sentenceIndex[i] > 0);
      Features trainPlus = train.plus(firstSentence);
      System.out.println();
      System.out.printf(
          Locale.ROOT,
          "one example sentence per document in training (%d documents), %d other sentences"
              + " held out\ttest top-1 on them%n",
          firstSentence.size(),
          heldOut.size());
      System.out.printf(Locale.ROOT, "MIPS, frozen encoder\t%.3f%n", mips(docUnit, heldOut));
      float[][][] onViews = trainHead(base, train, corpus.size(), reference, null);
      System.out.printf(
          Locale.ROOT, "CaR head only, views only (as above)\t%.3f%n", car(onViews, heldOut));
      float[][][] withSentence = trainHead(base, trainPlus, corpus.size(), reference, null);
      System.out.printf(
          Locale.ROOT,
          "CaR head only, views + one sentence per document\t%.3f%n",
          car(withSentence, heldOut));
      float[][][] initSentence =
          trainHead(base, trainPlus, corpus.size(), config(600, 1e-3f, seed), init);
      System.out.printf(
          Locale.ROOT,
          "CaR head from document embeddings, views + one sentence, lr 1e-03\t%.3f%n",
          car(initSentence, heldOut));
    }
  }

  /** The settings of {@code fedpeft train} with its defaults (warm-up 6 %, linear, clip 1). */
  static TrainConfig config(int steps, float lr, long seed) {
    return new TrainConfig(
        steps,
        16,
        lr,
        0.01f,
        (int) Math.round(steps * 0.06),
        TrainConfig.Schedule.LINEAR,
        1f,
        seed);
  }

  private static void row(String name, double train, double val, double test) {
    System.out.printf(Locale.ROOT, "%s\t%.3f\t%.3f\t%.3f%n", name, train, val, test);
  }

  /** Top-1 of cosine nearest neighbour. */
  static double mips(float[][] docUnit, Features q) {
    float[][] unit = normalised(q.pooled());
    int hits = 0;
    for (int i = 0; i < unit.length; i++) {
      float[] s = new float[docUnit.length];
      for (int d = 0; d < s.length; d++) {
        s[d] = dot(unit[i], docUnit[d]);
      }
      hits += Ranking.rankOf(s, q.labels()[i]) == 1 ? 1 : 0;
    }
    return (double) hits / Math.max(1, unit.length);
  }

  /** Top-1 of a head {weight rows, {bias}} on the features. */
  static double car(float[][][] head, Features q) {
    float[][] w = head[0];
    float[] b = head[1][0];
    int hits = 0;
    for (int i = 0; i < q.size(); i++) {
      float[] s = new float[w.length];
      for (int d = 0; d < s.length; d++) {
        s[d] = dot(q.pooled()[i], w[d]) + b[d];
      }
      hits += Ranking.rankOf(s, q.labels()[i]) == 1 ? 1 : 0;
    }
    return (double) hits / Math.max(1, q.size());
  }

  /**
   * Trains a head on cached features as {@code LocalTrainer} trains it; returns {weight rows,
   * {bias}}.
   *
   * @param init the head's starting weight and bias, or null for the seeded init of {@code fedpeft
   *     train} (seed + 1)
   */
  static float[][][] trainHead(
      FrozenBase base, Features data, int labels, TrainConfig cfg, float[][][] init) {
    int hidden = data.pooled()[0].length;
    try (ClassificationHead head =
            new ClassificationHead(base.root(), hidden, labels, cfg.seed() + 1);
        AdamW opt = new AdamW(base.root())) {
      if (init != null) {
        float[] w = new float[labels * hidden];
        for (int d = 0; d < labels; d++) {
          System.arraycopy(init[0][d], 0, w, d * hidden, hidden);
        }
        head.loadState(
            Map.of(
                "classifier.weight", new HostTensor(new long[] {labels, hidden}, w),
                "classifier.bias", new HostTensor(new long[] {labels}, init[1][0].clone())));
      }
      List<AdapterTensor> params = head.tensors();
      int[][] plan = LocalTrainer.batchPlan(data.size(), cfg);
      for (int s = 0; s < plan.length; s++) {
        int[] idx = plan[s];
        float[] flat = new float[idx.length * hidden];
        long[] y = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
          System.arraycopy(data.pooled()[idx[i]], 0, flat, i * hidden, hidden);
          y[i] = data.labels()[idx[i]];
        }
        try (NDScope scope = new NDScope();
            NDManager m = base.root().newSubManager()) {
          scope.suppressNotUsedWarning();
          NDArray x = m.create(flat, new Shape(idx.length, hidden));
          try (Autograd.Recording rec = Autograd.record()) {
            NDArray loss = LocalTrainer.crossEntropy(head.logits(x), m.create(y));
            rec.backward(loss);
          }
          double sq = 0;
          for (AdapterTensor p : params) {
            sq += p.array().getGradient().square().sum().getFloat();
          }
          double norm = Math.sqrt(sq);
          float scale = norm > cfg.maxGradNorm() ? (float) (cfg.maxGradNorm() / (norm + 1e-6)) : 1f;
          opt.step(params, cfg.learningRateAt(s), cfg.weightDecay(), scale);
          for (AdapterTensor p : params) {
            p.array().getGradient().subi(p.array().getGradient());
          }
        }
      }
      float[] w = params.get(0).array().toFloatArray();
      float[][] rows = new float[labels][];
      for (int d = 0; d < labels; d++) {
        rows[d] = Arrays.copyOfRange(w, d * hidden, (d + 1) * hidden);
      }
      return new float[][][] {rows, {params.get(1).array().toFloatArray()}};
    }
  }

  /**
   * The position of each training view among its document's views (0 for the first in split order).
   */
  static int[] viewIndices(Features train) {
    int[] seen = new int[Arrays.stream(train.labels()).max().orElse(0) + 1];
    int[] out = new int[train.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = seen[train.labels()[i]]++;
    }
    return out;
  }

  /** Whether each query contains, as whole words, one of the lemmas its document's text lists. */
  static boolean[] lemmaInQuery(Dataset corpus, Dataset queries) {
    boolean[] out = new boolean[queries.size()];
    for (int i = 0; i < out.length; i++) {
      String doc = corpus.example(queries.labelIndex(i)).text();
      String lemmas = doc.substring(0, Math.max(0, doc.indexOf(": ")));
      String q =
          " "
              + queries.example(i).text().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", " ")
              + " ";
      for (String lemma : lemmas.split(", ")) {
        String l =
            lemma.toLowerCase(Locale.ROOT).replace('_', ' ').replaceAll("[^a-z0-9]+", " ").trim();
        if (!l.isEmpty() && q.contains(" " + l + " ")) {
          out[i] = true;
          break;
        }
      }
    }
    return out;
  }

  private static float[][] scaled(float[][] x, float s) {
    float[][] out = new float[x.length][];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i].clone();
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] *= s;
      }
    }
    return out;
  }

  static float[][] normalised(float[][] x) {
    float[][] out = new float[x.length][];
    for (int i = 0; i < x.length; i++) {
      double n = Math.sqrt(dot(x[i], x[i]));
      out[i] = new float[x[i].length];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = (float) (x[i][j] / Math.max(n, 1e-12));
      }
    }
    return out;
  }

  private static float dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return (float) s;
  }

  /** Mean-pooled frozen-encoder outputs of a dataset, read from {@code file} if it holds them. */
  static Features features(FrozenBase base, Dataset data, Path file) throws IOException {
    EncodedExamples enc = base.encode(data);
    if (Files.isRegularFile(file)) {
      try (InputStream in = Files.newInputStream(file);
          DataInputStream d = new DataInputStream(new java.io.BufferedInputStream(in))) {
        int n = d.readInt();
        int h = d.readInt();
        if (n == enc.size()) {
          float[][] p = new float[n][h];
          for (float[] row : p) {
            for (int j = 0; j < h; j++) {
              row[j] = d.readFloat();
            }
          }
          return new Features(p, enc.labels());
        }
      }
    }
    int n = enc.size();
    int hidden = base.encoder().config().hiddenSize();
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> enc.tokens()[i].length));
    float[][] pooled = new float[n][];
    for (int start = 0; start < n; start += 64) {
      int[] idx = new int[Math.min(64, n - start)];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = order[start + i];
      }
      try (NDScope scope = new NDScope();
          NDManager m = base.root().newSubManager()) {
        scope.suppressNotUsedWarning();
        TokenBatch b = enc.batch(idx);
        Shape s = new Shape(b.batchSize(), b.seqLen());
        NDArray ids = m.create(b.ids(), s);
        NDArray mask = m.create(b.mask(), s);
        float[] flat =
            Pooling.mean(base.encoder().forward(ids, mask, EncoderHooks.NONE, false), mask)
                .toFloatArray();
        for (int i = 0; i < idx.length; i++) {
          pooled[idx[i]] = Arrays.copyOfRange(flat, i * hidden, (i + 1) * hidden);
        }
      }
    }
    try (OutputStream out = Files.newOutputStream(file);
        DataOutputStream d = new DataOutputStream(new java.io.BufferedOutputStream(out))) {
      d.writeInt(n);
      d.writeInt(hidden);
      for (float[] row : pooled) {
        for (float v : row) {
          d.writeFloat(v);
        }
      }
    }
    return new Features(pooled, enc.labels());
  }
}
