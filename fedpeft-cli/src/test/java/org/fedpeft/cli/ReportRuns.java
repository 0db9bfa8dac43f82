package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Tiny simulation runs shared by the report tests: a random tiny BERT, 26 labels (more than any
 * palette of distinct colours), 8 clients, 6 rounds with evaluation every 3, written once per test
 * JVM under {@code target/report-tests/} (kept, so the report and its screenshot can be opened).
 */
final class ReportRuns {
  private ReportRuns() {}

  static final Path ROOT = Path.of("target", "report-tests").toAbsolutePath();
  static final int LABELS = 26;
  private static Path config;
  private static Path run;

  /** The run's TOML config (written on first use). */
  static synchronized Path config() throws Exception {
    if (config == null) {
      deleteTree(ROOT);
      Files.createDirectories(ROOT);
      Path model = CliRun.tinyModelFolder(ROOT.resolve("tiny-model"));
      List<String> lines = new ArrayList<>();
      String[] words = {"apple", "hammer", "swim", "boat", "cloud", "river", "violin", "tiger"};
      for (int i = 0; i < LABELS * 12; i++) {
        int label = i % LABELS;
        lines.add(
            "{\"text\": \"%s %s number %d\", \"label\": \"topic.%02d\"}"
                .formatted(
                    words[label % words.length], words[(label / 8) % words.length], i, label));
      }
      Path data = ROOT.resolve("data.jsonl");
      Files.write(data, lines);
      config = ROOT.resolve("run.toml");
      Files.writeString(
          config,
          """
          seed = 5
          rounds = 6
          clients = 8
          clients_per_round = 3

          [data]
          file = "%s"
          partition = "dirichlet:0.5"
          max_eval = 60

          [model]
          name = "%s"

          """
                  .formatted(Deployments.toml(data), Deployments.toml(model))
              + Deployments.LORA_AND_CLIENT
              + """

              [eval]
              every = 3
              """);
    }
    return config;
  }

  /** The folder of a completed plain run (simulated on first use). */
  static synchronized Path run() throws Exception {
    if (run == null) {
      Path out = ROOT.resolve("run");
      CliRun.Result r = CliRun.run("simulate", config().toString(), "--out", out.toString());
      assertEquals(0, r.code(), r.err());
      run = out;
    }
    return run;
  }

  /**
   * A copy of {@link #run()}'s files in {@code dest}, each metrics.jsonl line passed through {@code
   * edit} first, for a report test that needs records the plain run does not write.
   */
  static Path copyWithMetrics(Path dest, Consumer<JsonObject> edit) throws Exception {
    Files.createDirectories(dest);
    try (Stream<Path> files = Files.list(run())) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, dest.resolve(f.getFileName()));
      }
    }
    List<String> lines = new ArrayList<>();
    for (String l : Files.readAllLines(dest.resolve("metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(l).getAsJsonObject();
      edit.accept(o);
      lines.add(o.toString());
    }
    Files.write(dest.resolve("metrics.jsonl"), lines);
    return dest;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
