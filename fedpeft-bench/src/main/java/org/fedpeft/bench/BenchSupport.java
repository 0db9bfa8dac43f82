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

  /**
   * A benchmark's command-line arguments, checked before any work: a wrong count, a value that is
   * not what its position takes or a missing file stops the program (exit 2) with one line naming
   * the argument, then the usage line, instead of a stack trace; {@code -h} or {@code --help} as
   * the first argument prints the usage line (exit 0). The checks themselves ({@link
   * #countProblem}, {@link #parseCount}, {@link #parseFraction}, {@link #parseChoice}) throw {@link
   * IllegalArgumentException} with that line and are what the tests call.
   */
  static final class Args {
    private final String usage;
    private final String[] values;

    private Args(String usage, String[] values) {
      this.usage = usage;
      this.values = values;
    }

    /**
     * The arguments of the class whose usage line is {@code usage} (its first word the class name,
     * e.g. {@code "TrainStepBench [TIMED_STEPS] [TIMED_FORWARD_BATCHES]"}), between {@code min} and
     * {@code max} of them.
     */
    static Args of(String[] args, int min, int max, String usage) {
      Args cli = new Args(usage, args);
      if (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help"))) {
        System.out.println("Usage: fedpeft-bench/scripts/run.sh " + usage);
        System.exit(0);
      }
      String problem = countProblem(args.length, min, max);
      if (problem != null) {
        cli.refuse(problem);
      }
      return cli;
    }

    /** Argument {@code i}, a whole number of at least {@code min}, or {@code dflt}. */
    int count(int i, String name, int dflt, int min) {
      try {
        return i < values.length ? parseCount(name, values[i], min) : dflt;
      } catch (IllegalArgumentException e) {
        return refuse(e.getMessage());
      }
    }

    /** Argument {@code i}, a whole number of at least 1, or {@code dflt}. */
    int count(int i, String name, int dflt) {
      return count(i, name, dflt, 1);
    }

    /** Argument {@code i}, a number in [0, 1), or {@code dflt}. */
    float fraction(int i, String name, float dflt) {
      try {
        return i < values.length ? parseFraction(name, values[i]) : dflt;
      } catch (IllegalArgumentException e) {
        return refuse(e.getMessage());
      }
    }

    /** Argument {@code i}, one of {@code allowed}, or {@code dflt}. */
    String choice(int i, String name, String dflt, String... allowed) {
      try {
        return i < values.length ? parseChoice(name, values[i], allowed) : dflt;
      } catch (IllegalArgumentException e) {
        return refuse(e.getMessage());
      }
    }

    /** Argument {@code i}, the path of an existing file. */
    Path file(int i, String name) {
      Path p = Path.of(values[i]);
      if (!Files.isRegularFile(p)) {
        refuse(name + ": no such file: " + values[i]);
      }
      return p;
    }

    /** Stops the program: {@code problem} and the usage line on stderr, exit status 2. */
    <T> T refuse(String problem) {
      String cls = usage.split(" ", 2)[0];
      System.err.println(cls + ": " + problem);
      System.err.println("Usage: fedpeft-bench/scripts/run.sh " + usage);
      System.exit(2);
      throw new IllegalStateException("unreachable");
    }

    /** What is wrong with {@code n} arguments when {@code min..max} are taken, or null. */
    static String countProblem(int n, int min, int max) {
      if (n > max) {
        return max == 0
            ? "takes no arguments, got " + n
            : "takes at most " + max + " argument(s), got " + n;
      }
      if (n < min) {
        return "needs at least " + min + " argument(s), got " + n;
      }
      return null;
    }

    /** {@code value} as a whole number of at least {@code min}; the message names {@code name}. */
    static int parseCount(String name, String value, int min) {
      int v;
      try {
        v = Integer.parseInt(value);
      } catch (NumberFormatException e) {
        v = Integer.MIN_VALUE;
      }
      if (v < min) {
        throw new IllegalArgumentException(
            name + ": '" + value + "' is not a whole number >= " + min);
      }
      return v;
    }

    /** {@code value} as a number in [0, 1); the message names {@code name}. */
    static float parseFraction(String name, String value) {
      float v;
      try {
        v = Float.parseFloat(value);
      } catch (NumberFormatException e) {
        v = Float.NaN;
      }
      if (!(v >= 0 && v < 1)) {
        throw new IllegalArgumentException(name + ": '" + value + "' is not a number in [0, 1)");
      }
      return v;
    }

    /** {@code value} if it is one of {@code allowed}; the message names {@code name}. */
    static String parseChoice(String name, String value, String... allowed) {
      if (!Arrays.asList(allowed).contains(value)) {
        throw new IllegalArgumentException(
            name + ": '" + value + "' is not one of " + String.join(", ", allowed));
      }
      return value;
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
