package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.io.JsonFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 5 December: report.html read metrics.jsonl and timings.jsonl with gson's lenient parser, so a
 * line with a repeated key (a damaged or hand-edited file) was charted with its last value, and a
 * line that is not UTF-8 failed with "Input length = 1", naming no file. Both are read strictly now
 * (io.JsonFiles), and such a line is refused naming the file and the line. Fails on the old code.
 */
class ReportStrictLinesTest {

  @TempDir Path tmp;

  /** A copy of a finished tiny run's files in {@code tmp}. */
  private Path copy() throws Exception {
    Path run = ReportRuns.run();
    for (String f :
        List.of(
            "metrics.jsonl",
            "config.json",
            "partition.json",
            "summary.json",
            "timings.jsonl",
            "manifest.json")) {
      Files.copy(run.resolve(f), tmp.resolve(f));
    }
    return tmp;
  }

  /**
   * {@code file} with its second line's {@code "round":} given twice; returns the column of the
   * second one's name.
   */
  private static int repeatRound(Path file) throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    assertTrue(lines.get(1).contains("\"round\":"), lines.get(1));
    lines.set(1, lines.get(1).replaceFirst("\"round\":", "\"round\":99,\"round\":"));
    Files.write(file, lines);
    return lines.get(1).indexOf("\"round\":", lines.get(1).indexOf("\"round\":") + 1) + 2;
  }

  @Test
  void aMetricsOrTimingsLineWithARepeatedKeyIsRefusedNamingTheFileAndLine() throws Exception {
    Path run = copy();
    for (String name : List.of("metrics.jsonl", "timings.jsonl")) {
      Path file = run.resolve(name);
      byte[] before = Files.readAllBytes(file);
      int column = repeatRound(file);
      JsonFileException e = assertThrows(JsonFileException.class, () -> ReportWriter.write(run));
      assertEquals(file + ": line 2: duplicate key 'round' at column " + column, e.getMessage());
      Files.write(file, before);
    }
    ReportWriter.write(run); // the files as the run wrote them
  }

  @Test
  void aLineThatIsNotUtf8IsRefusedNamingTheFileAndLine() throws Exception {
    Path run = copy();
    Path file = run.resolve("timings.jsonl");
    List<String> lines = Files.readAllLines(file);
    // Not the last line, which a kill may have cut and is left out as a resume drops it
    // (RunRecorder.linesToKeep, whose words these are).
    byte[] latin1 =
        (lines.get(0) + "\n" + "{\"note\":\"caf\u00e9\"}\n" + lines.get(1) + "\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    Files.write(file, latin1);
    JsonFileException e = assertThrows(JsonFileException.class, () -> ReportWriter.write(run));
    assertTrue(e.getMessage().startsWith(file + ": line 2: not valid UTF-8"), e.getMessage());
  }
}
