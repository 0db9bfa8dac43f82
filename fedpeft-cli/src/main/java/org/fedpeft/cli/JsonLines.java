package org.fedpeft.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.io.JsonOut;

/**
 * Appends one JSON object per line to a file ({@code train}'s metrics.jsonl and timings.jsonl),
 * flushed after every line.
 */
public final class JsonLines implements AutoCloseable {

  private final BufferedWriter out;
  private final List<String> lines = new ArrayList<>();

  /**
   * Starts the file (replacing one that exists) with {@code initial} lines (those of a checkpoint,
   * on resume; none for a new run).
   */
  public JsonLines(Path file, List<String> initial) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    out =
        Files.newBufferedWriter(
            file,
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    for (String l : initial) {
      writeLine(l);
    }
  }

  /** Writes one line. */
  public void write(Map<String, ?> record) {
    writeLine(JsonOut.line(record));
  }

  private void writeLine(String line) {
    try {
      out.write(line);
      out.newLine();
      out.flush();
      lines.add(line);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every line written so far, in order. */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
