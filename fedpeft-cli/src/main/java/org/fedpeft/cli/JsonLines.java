package org.fedpeft.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/** Appends one JSON object per line to a file (metrics.jsonl), flushed after every line. */
public final class JsonLines implements AutoCloseable {

  static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

  private final BufferedWriter out;

  public JsonLines(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    out =
        Files.newBufferedWriter(
            file,
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
  }

  /** Writes one line. */
  public void write(Map<String, ?> record) {
    try {
      out.write(GSON.toJson(record));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
