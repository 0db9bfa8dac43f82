package org.fedpeft.bench;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleBiFunction;

/**
 * A/B of two builds of fedpeft-core in one process, the two alternating step by step (order ABBA),
 * so that whatever else runs on the machine hits both alike. Both builds share one DJL / libtorch
 * (loaded once, by a common parent class loader); each build gets its own class loader holding its
 * fedpeft-core classes and this module's classes, and its own {@link AbWorker}.
 *
 * <p>Usage: {@code AbBench A_CORE_CLASSES B_CORE_CLASSES [STEPS [SEQ [DROPOUT [FORWARDS]]]]}
 * (defaults 16, 128, 0.05, 12); the class path must be the bench class path (classpath.txt). Each
 * side may also be given as {@code DIR@prop=value,...}: system properties set while that side's
 * model is built (e.g. {@code fedpeft.attention=eager}, or {@code ab.targets=query} for LoRA on the
 * queries only), so one build can be compared with itself under two settings. With {@code
 * -Dab.optimizer=true} it also times the AdamW update alone. Prints the medians, B/A, and the
 * largest relative loss difference.
 */
public final class AbBench {

  public static void main(String[] args) throws Exception {
    BenchSupport.Args cli =
        BenchSupport.Args.of(
            args, 2, 6, "AbBench A_CORE_CLASSES B_CORE_CLASSES [STEPS [SEQ [DROPOUT [FORWARDS]]]]");
    for (int i = 0; i < 2; i++) {
      String dir = args[i].split("@", 2)[0];
      if (!Files.isDirectory(Path.of(dir))) {
        cli.refuse((i == 0 ? "A" : "B") + "_CORE_CLASSES: no such folder: " + dir);
      }
    }
    int steps = cli.count(2, "STEPS", 16);
    int seq = cli.count(3, "SEQ", 128, 2);
    float dropout = cli.fraction(4, "DROPOUT", 0.05f);
    int forwards = cli.count(5, "FORWARDS", 12);
    int warmup = 3;
    System.out.println("load at start: " + BenchSupport.load());
    List<URL> common = new ArrayList<>();
    URL benchClasses = null;
    for (String p : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (p.contains("fedpeft-core")) {
        continue;
      }
      if (p.contains("fedpeft-bench")) {
        benchClasses = Path.of(p).toUri().toURL();
        continue;
      }
      common.add(Path.of(p).toUri().toURL());
    }
    if (benchClasses == null) {
      throw new IllegalStateException("fedpeft-bench classes not on the class path");
    }
    ClassLoader parent =
        new URLClassLoader(common.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
    // DJL finds its engine (ServiceLoader) and native libraries through the context class loader.
    Thread.currentThread().setContextClassLoader(parent);
    ToDoubleBiFunction<String, Integer> a = side(args[0], benchClasses, parent, seq, dropout);
    ToDoubleBiFunction<String, Integer> b = side(args[1], benchClasses, parent, seq, dropout);
    List<Double> ta = new ArrayList<>();
    List<Double> tb = new ArrayList<>();
    double maxRel = 0;
    for (int i = 0; i < warmup + steps; i++) {
      boolean aFirst = i % 2 == 0;
      double x = 0;
      double y = 0;
      for (int k = 0; k < 2; k++) {
        if ((k == 0) == aFirst) {
          x = a.applyAsDouble("step", i);
        } else {
          y = b.applyAsDouble("step", i);
        }
      }
      double la = a.applyAsDouble("loss", 0);
      double lb = b.applyAsDouble("loss", 0);
      maxRel = Math.max(maxRel, Math.abs(la - lb) / Math.abs(la));
      if (i >= warmup) {
        ta.add(x);
        tb.add(y);
      }
    }
    report("train step", ta, tb);
    System.out.println(
        String.format(Locale.ROOT, "largest relative loss difference A vs B: %.3g", maxRel));
    if (Boolean.getBoolean("ab.optimizer")) {
      List<Double> oa = new ArrayList<>();
      List<Double> ob = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        oa.add(a.applyAsDouble("optimizer", i));
        ob.add(b.applyAsDouble("optimizer", i));
      }
      report("optimizer update", oa, ob);
    }
    List<Double> fa = new ArrayList<>();
    List<Double> fb = new ArrayList<>();
    for (int i = 0; i < warmup + forwards; i++) {
      boolean aFirst = i % 2 == 0;
      double x = 0;
      double y = 0;
      for (int k = 0; k < 2; k++) {
        if ((k == 0) == aFirst) {
          x = a.applyAsDouble("forward", i);
        } else {
          y = b.applyAsDouble("forward", i);
        }
      }
      if (i >= warmup) {
        fa.add(x);
        fb.add(y);
      }
    }
    if (forwards > 0) {
      report("forward", fa, fb);
    }
    System.out.println("load at end: " + BenchSupport.load());
    a.applyAsDouble("close", 0);
    b.applyAsDouble("close", 0);
  }

  private static void report(String what, List<Double> a, List<Double> b) {
    System.out.println(what + " A samples: " + BenchSupport.list(a));
    System.out.println(what + " B samples: " + BenchSupport.list(b));
    List<Double> ratio = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      ratio.add(b.get(i) / a.get(i));
    }
    System.out.println(
        BenchSupport.fmt(
            "%s: A %s | B %s | B/A median of medians %.3f, median of pairwise ratios %.3f",
            what,
            BenchSupport.summary(a),
            BenchSupport.summary(b),
            BenchSupport.median(b) / BenchSupport.median(a),
            BenchSupport.median(ratio)));
  }

  @SuppressWarnings("unchecked")
  private static ToDoubleBiFunction<String, Integer> side(
      String spec, URL benchClasses, ClassLoader parent, int seq, float dropout) throws Exception {
    String[] parts = spec.split("@", 2);
    Path dir = Path.of(parts[0]);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("not a classes directory: " + dir);
    }
    URLClassLoader loader =
        new URLClassLoader(new URL[] {dir.toUri().toURL(), benchClasses}, parent);
    List<String[]> props = new ArrayList<>();
    if (parts.length > 1) {
      for (String kv : parts[1].split(",")) {
        String[] p = kv.split("=", 2);
        props.add(new String[] {p[0], System.getProperty(p[0])});
        System.setProperty(p[0], p[1]);
      }
    }
    // The build's service registrations (adapter methods, tasks) are found through the context
    // class loader, so it is the side's own while the side is built.
    Thread.currentThread().setContextClassLoader(loader);
    try {
      Class<?> c = Class.forName("org.fedpeft.bench.AbWorker", true, loader);
      return (ToDoubleBiFunction<String, Integer>)
          c.getConstructor(int.class, float.class).newInstance(seq, dropout);
    } finally {
      Thread.currentThread().setContextClassLoader(parent);
      for (String[] p : props) {
        if (p[1] == null) {
          System.clearProperty(p[0]);
        } else {
          System.setProperty(p[0], p[1]);
        }
      }
    }
  }
}
