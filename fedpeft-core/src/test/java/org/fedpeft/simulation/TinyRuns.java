package org.fedpeft.simulation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.TinyModels;

/** What the simulation tests of methods share: a tiny model folder and a tiny labelled data set. */
public final class TinyRuns {

  private TinyRuns() {}

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
}
