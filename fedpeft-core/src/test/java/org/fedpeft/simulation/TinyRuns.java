package org.fedpeft.simulation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.TinyModels;
import org.fedpeft.run.SimulationConfig;

/** What the simulation tests of methods share: a tiny model folder and a tiny labelled data set. */
public final class TinyRuns {

  private TinyRuns() {}

  /** Thrown by {@link #stopAfterRound}'s listener to end the run. */
  private static final class Stop extends RuntimeException {}

  /**
   * Creates a run of {@code config} in {@code out} and stops it once round {@code round} is
   * checkpointed and its line written (from the listener of that round, as after a crash), with the
   * simulation closed.
   */
  public static void stopAfterRound(SimulationConfig config, Path out, int round)
      throws IOException, InterruptedException {
    try (Simulation sim = Simulation.create(config, out)) {
      sim.run(
          new Simulation.Listener() {
            @Override
            public void onRound(RoundReport report, Map<String, Object> line) {
              if (report.round() == round) {
                throw new Stop();
              }
            }
          });
      throw new AssertionError("the run ended before round " + round);
    } catch (Stop expected) {
      // stopped where asked
    }
  }

  /** Saves {@code TinyModels.tiny(3)} as a Hugging Face folder {@code dir}; returns it. */
  public static Path model(Path dir) throws IOException {
    HuggingFaceFolder.save(TinyModels.tiny(3), dir);
    return dir;
  }

  /**
   * Writes {@code rows} JSONL examples over four topics (labels t0..t3, cycling) to {@code file};
   * returns it.
   */
  public static Path topicData(Path file, int rows) throws IOException {
    List<String> lines = new ArrayList<>();
    String[] topics = {"fruit apple pear", "tool hammer saw", "sport run swim", "sea fish boat"};
    for (int i = 0; i < rows; i++) {
      lines.add(
          "{\"text\": \"" + topics[i % 4] + " item " + i + "\", \"label\": \"t" + (i % 4) + "\"}");
    }
    Files.write(file, lines);
    return file;
  }

  static final String[] DOCS = {
    "apple pear fruit orchard",
    "hammer saw tool bench",
    "run swim sport race",
    "fish boat sea harbour",
    "rain snow cloud weather",
    "piano violin music song"
  };

  /**
   * Writes a retrieval corpus of six documents (ids d5, d4, ..., d0, so not in sorted order) to
   * {@code dir/corpus.jsonl}, 5 training queries per document to {@code dir/queries.jsonl} and 2
   * test queries per document to {@code dir/test.jsonl}; returns the three files in that order.
   */
  public static Path[] retrievalFiles(Path dir) throws IOException {
    List<String> corpus = new ArrayList<>();
    List<String> train = new ArrayList<>();
    List<String> test = new ArrayList<>();
    for (int d = 0; d < DOCS.length; d++) {
      String id = "d" + (DOCS.length - 1 - d);
      corpus.add("{\"id\": \"" + id + "\", \"text\": \"" + DOCS[d] + "\"}");
      String[] w = DOCS[d].split(" ");
      for (int q = 0; q < 5; q++) {
        train.add(
            "{\"text\": \""
                + w[q % 4]
                + " "
                + w[(q + 1) % 4]
                + " "
                + q
                + "\", \"doc\": \""
                + id
                + "\"}");
      }
      for (int q = 0; q < 2; q++) {
        test.add("{\"text\": \"" + w[q] + " " + w[q + 2] + "\", \"doc\": \"" + id + "\"}");
      }
    }
    Path c = Files.write(dir.resolve("corpus.jsonl"), corpus);
    Path q = Files.write(dir.resolve("queries.jsonl"), train);
    Path t = Files.write(dir.resolve("test.jsonl"), test);
    return new Path[] {c, q, t};
  }
}
