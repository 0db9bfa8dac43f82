package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DataFiles#forEachText}: files of unlabelled texts, read as data files are. */
class DataFilesTextsTest {
  @TempDir Path dir;

  @Test
  void readsJsonLinesKeepingIdsAsWrittenAndIgnoringLabels() throws IOException {
    Path p =
        Files.writeString(
            dir.resolve("texts.jsonl"),
            "{\"id\": 7, \"text\": \"good film\", \"label\": \"pos\"}\n"
                + "\n"
                + "{\"text\": \" so-so \", \"id\": \"r-2\", \"task\": \" films \"}\n"
                + "{\"text\": \"bad\", \"task\": null, \"client\": 3}\n");
    List<DataFiles.TextRow> rows = readTexts(p);
    assertEquals(3, rows.size());
    assertEquals(1, rows.get(0).line());
    assertEquals("good film", rows.get(0).text());
    assertEquals("7", rows.get(0).id().toString());
    assertEquals(true, rows.get(0).id() instanceof Number);
    assertEquals(3, rows.get(1).line());
    assertEquals(" so-so ", rows.get(1).text());
    assertEquals("r-2", rows.get(1).id());
    assertEquals("films", rows.get(1).task());
    assertEquals(null, rows.get(2).id());
    assertEquals(null, rows.get(2).task());
  }

  @Test
  void readsCsvWithATextColumnOnly() throws IOException {
    Path p =
        Files.writeString(
            dir.resolve("texts.csv"), "Label,TEXT,id\npos,\"two\nlines\",a\n\nneg,one,\n");
    List<DataFiles.TextRow> rows = readTexts(p);
    assertEquals(2, rows.size());
    assertEquals("two\nlines", rows.get(0).text());
    assertEquals(2, rows.get(0).line());
    assertEquals("a", rows.get(0).id());
    assertEquals(5, rows.get(1).line());
    assertEquals(null, rows.get(1).id());
  }

  @Test
  void problemsNameFileAndLine() throws IOException {
    assertRefused("a.jsonl", "{\"text\": \"x\"}\n{\"id\": 1}\n", 2, "missing field \"text\"");
    assertRefused("b.jsonl", "{\"text\": \"\\t\"}\n", 1, "empty field \"text\"");
    assertRefused(
        "c.jsonl",
        "{\"text\": \"x\", \"id\": [1]}\n",
        1,
        "field \"id\" must be a string, found an array");
    assertRefused(
        "d.jsonl",
        "{\"Text\": \"x\"}\n",
        1,
        "field \"Text\" must be written \"text\" (field names are lower case)");
    assertRefused("e.csv", "text,text\nx,y\n", 1, "duplicate column \"text\"");
    assertRefused(
        "f.csv", "text,id\nx\n", 2, "expected 2 fields as in the header [text, id], found 1");
    assertRefused("g.jsonl", "\n \n", 1, "no texts: the file has only blank lines");
    assertRefused(
        "h.txt", "x\n", 1, "unknown file type: expected a .jsonl, .json or .csv extension");
  }

  /** The rows {@link DataFiles#forEachText} hands over, in order. */
  private static List<DataFiles.TextRow> readTexts(Path p) throws IOException {
    List<DataFiles.TextRow> rows = new ArrayList<>();
    DataFiles.forEachText(p, rows::add);
    return rows;
  }

  private void assertRefused(String name, String content, int line, String reason)
      throws IOException {
    Path p = Files.writeString(dir.resolve(name), content);
    DataFormatException e = assertThrows(DataFormatException.class, () -> readTexts(p));
    assertEquals(p + ":" + line + ": " + reason, e.getMessage());
  }
}
