package org.fedpeft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.TokenBatch;

/** Shared pieces of the benchmarks: fixed batches, medians, load and memory readings. */
final class BenchSupport {

  /** Batch size of the standard workload. */
  static final int BATCH = 16;

  /** Sequence length of the standard workload, in tokens. */
  static final int SEQ = 128;

  /** Labels of the synthetic classification task used for step timing. */
  static final int LABELS = 25;

  private BenchSupport() {}

  /**
   * {@code batches * BATCH} sequences of exactly {@code SEQ} tokens: [CLS], word-piece ids drawn
   * from a seeded generator in [1000, 30000), [SEP]; labels in [0, LABELS).
   */
  static EncodedExamples examples(int batches, long seed) {
    return examples(batches, seed, SEQ);
  }

  /** As {@link #examples(int, long)}, with sequences of exactly {@code seq} tokens. */
  static EncodedExamples examples(int batches, long seed, int seq) {
    SplittableRandom rng = new SplittableRandom(seed);
    int n = batches * BATCH;
    long[][] tokens = new long[n][seq];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      tokens[i][0] = 101;
      for (int t = 1; t < seq - 1; t++) {
        tokens[i][t] = 1000 + rng.nextInt(29000);
      }
      tokens[i][seq - 1] = 102;
      labels[i] = rng.nextInt(LABELS);
    }
    return new EncodedExamples(tokens, labels);
  }

  /**
   * Short, padded batches like the README's WordNet glosses: {@code batches * BATCH} sequences of
   * [CLS], word pieces, [SEP], the first of each batch {@code maxLen} tokens long and the others
   * between 5/8 of it and {@code maxLen}, so that every batch pads to {@code maxLen} and needs the
   * attention mask.
   */
  static EncodedExamples shortExamples(int batches, long seed, int maxLen) {
    SplittableRandom rng = new SplittableRandom(seed);
    int n = batches * BATCH;
    long[][] tokens = new long[n][];
    int[] labels = new int[n];
    int minLen = Math.max(2, maxLen * 5 / 8);
    for (int i = 0; i < n; i++) {
      int len = i % BATCH == 0 ? maxLen : minLen + rng.nextInt(maxLen - minLen + 1);
      tokens[i] = new long[len];
      tokens[i][0] = 101;
      for (int t = 1; t < len - 1; t++) {
        tokens[i][t] = 1000 + rng.nextInt(29000);
      }
      tokens[i][len - 1] = 102;
      labels[i] = rng.nextInt(LABELS);
    }
    return new EncodedExamples(tokens, labels);
  }

  /** The padded batch of examples {@code [b * BATCH, (b + 1) * BATCH)}. */
  static TokenBatch batch(EncodedExamples data, int b) {
    int[] idx = new int[BATCH];
    for (int i = 0; i < BATCH; i++) {
      idx[i] = b * BATCH + i;
    }
    return data.batch(idx);
  }

  static double median(List<Double> xs) {
    double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  static String summary(List<Double> xs) {
    double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return String.format(
        Locale.ROOT,
        "median %.4f s (min %.4f, max %.4f, n=%d)",
        median(xs),
        s[0],
        s[s.length - 1],
        s.length);
  }

  /** The 1-, 5- and 15-minute load averages. */
  static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** A field of /proc/self/status in MiB (VmHWM: peak resident set, VmRSS: current). */
  static double statusMiB(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          String[] p = line.substring(field.length() + 1).trim().split("\\s+");
          return Long.parseLong(p[0]) / 1024.0;
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return Double.NaN;
  }

  /** The current resident set in bytes (/proc/self/status's VmRSS), -1 if unknown. */
  static long rssBytes() {
    double mib = statusMiB("VmRSS");
    return Double.isNaN(mib) ? -1 : Math.round(mib * 1048576);
  }

  /** Deletes {@code dir} and everything under it, if it exists. */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The config overrides given as {@code KEY=VALUE} arguments from {@code args[from]} on. */
  static java.util.Map<String, String> overrides(String[] args, int from) {
    java.util.Map<String, String> o = new java.util.HashMap<>();
    for (int i = from; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("expected KEY=VALUE, got '" + args[i] + "'");
      }
      o.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    return o;
  }

  static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  static double[] toArray(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static String list(List<Double> xs) {
    return Arrays.toString(xs.stream().mapToDouble(d -> Math.round(d * 10000) / 10000.0).toArray());
  }
}
