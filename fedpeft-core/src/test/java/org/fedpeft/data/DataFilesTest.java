package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFilesTest {
  @TempDir Path dir;

  private Path write(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, content, StandardCharsets.UTF_8);
    return p;
  }

  /** Reads a file expected to be malformed and checks the whole message. */
  private void assertError(String name, String content, int line, String reason)
      throws IOException {
    Path p = write(name, content);
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataFiles.read(p));
    assertEquals(p + ":" + line + ": " + reason, e.getMessage());
    assertEquals(p, e.file());
    assertEquals(line, e.line());
    assertEquals(reason, e.reason());
  }

  @Test
  void readsJsonLines() throws IOException {
    Path p =
        write(
            "train.jsonl",
            "{\"text\": \"good film\", \"label\": \"pos\", \"client\": \"alice\", \"id\": 7,"
                + " \"task\": \"sentiment\"}\n"
                + "\n"
                + "  \r\n"
                + "{\"label\": 3, \"text\": \"so-so \\\"film\\\"\", \"task\": \"sentiment\","
                + " \"client\": null, \"meta\": {\"a\": [1, 2]}}\r\n"
                + "{\"text\": \"bad\", \"label\": \" neg \", \"client\": 12, \"task\": 5}");
    Dataset d = DataFiles.read(p);
    assertEquals("train.jsonl", d.name());
    assertEquals(3, d.size());
    assertEquals(new Example("good film", "pos", "alice", "sentiment"), d.example(0));
    assertEquals(new Example("so-so \"film\"", "3", null, "sentiment"), d.example(1));
    assertEquals(new Example("bad", "neg", "12", "5"), d.example(2));
    assertEquals(List.of("3", "neg", "pos"), d.labels());
    assertEquals(4, d.sourceLine(1).getAsInt());
    assertEquals(p + ":5", d.location(2));
  }

  @Test
  void dotJsonIsJsonLines() throws IOException {
    Dataset d = DataFiles.read(write("x.JSON", "\uFEFF{\"text\":\"a\",\"label\":\"b\"}\n"));
    assertEquals(1, d.size());
  }

  @Test
  void readsCsvWithRfc4180Quoting() throws IOException {
    Path p =
        write(
            "train.csv",
            "id,Text,label,client\r\n"
                + "1,plain text,pos,alice\r\n"
                + "\r\n"
                + "2,\"with, comma and \"\"quotes\"\"\",neg,\r\n"
                + "3,\"two\r\nlines\",pos,bob\n"
                + "4,\"  spaced  \",neg, carol \n");
    Dataset d = DataFiles.read(p);
    assertEquals(4, d.size());
    assertEquals(new Example("plain text", "pos", "alice", null), d.example(0));
    assertEquals(new Example("with, comma and \"quotes\"", "neg", null, null), d.example(1));
    assertEquals(new Example("two\nlines", "pos", "bob", null), d.example(2));
    assertEquals(2, d.sourceLine(0).getAsInt());
    assertEquals(4, d.sourceLine(1).getAsInt());
    assertEquals(5, d.sourceLine(2).getAsInt());
    assertEquals(7, d.sourceLine(3).getAsInt());
    assertEquals(new Example("  spaced  ", "neg", "carol", null), d.example(3));
    assertEquals(List.of("alice", "bob", "carol"), d.clients());
  }

  @Test
  void csvColumnsMayComeInAnyOrder() throws IOException {
    Dataset d = DataFiles.read(write("t.csv", "label,text\nx,\"\"\"\"\ny,plain\n"));
    assertEquals(new Example("\"", "x", null, null), d.example(0));
    assertEquals(new Example("plain", "y", null, null), d.example(1));
    assertError("blank-text.csv", "text,label\n\" \",neg\n", 2, "empty field \"text\"");
  }

  @Test
  void malformedJsonLines() throws IOException {
    assertError(
        "train.jsonl",
        "{\"text\":\"a\",\"label\":\"b\"}\n".repeat(16) + "{\"text\":\"a\"}\n",
        17,
        "missing field \"label\"");
    assertError("a.jsonl", "\n{\"label\":\"b\"}\n", 2, "missing field \"text\"");
    assertError(
        "b.jsonl",
        "{\"text\":\"a\",\"label\":\"b\"\n",
        1,
        "invalid JSON at column 24: End of input");
    assertError(
        "c.jsonl",
        "{text: \"a\"}\n",
        1,
        "invalid JSON at column 3: not strict JSON (an unquoted name or string, single quotes, a"
            + " comment or similar)");
    assertError("c2.jsonl", "{\"text\" \"a\"}\n", 1, "invalid JSON at column 10: Expected ':'");
    assertError(
        "d.jsonl",
        "{\"text\":\"a\",\"label\":true}\n",
        1,
        "field \"label\" must be a string or a number, found a boolean");
    assertError(
        "e.jsonl",
        "{\"text\":5,\"label\":\"b\"}\n",
        1,
        "field \"text\" must be a string, found a number");
    assertError(
        "f.jsonl",
        "{\"text\":\"a\",\"label\":null}\n",
        1,
        "field \"label\" must be a string or a number, found null");
    assertError(
        "g.jsonl",
        "{\"text\":\"a\",\"label\":\"b\",\"client\":[1]}\n",
        1,
        "field \"client\" must be a string or a number, found an array");
    assertError("h.jsonl", "[1,2]\n", 1, "expected a JSON object, found an array");
    assertError(
        "h.json",
        "[{\"text\":\"a\",\"label\":\"b\"}]\n",
        1,
        "expected a JSON object, found an array (a JSON array file is not supported: write one"
            + " object per line)");
    assertError(
        "i.jsonl",
        "{\"text\":\"a\",\"label\":\"b\"} {\"text\":\"a\",\"label\":\"b\"}\n",
        1,
        "unexpected content after the JSON object (one object per line)");
    assertError(
        "j.jsonl",
        "{\"text\":\"a\",\"label\":\"b\",\"text\":\"c\"}\n",
        1,
        "duplicate field \"text\"");
    assertError("k.jsonl", "{\"text\":\"a\",\"label\":\" \"}\n", 1, "empty field \"label\"");
    assertError("l.jsonl", "", 1, "empty file");
    assertError("m.jsonl", "\n  \n\n", 1, "no examples: the file has only blank lines");
  }

  @Test
  void malformedCsv() throws IOException {
    assertError(
        "a.csv",
        "text,label\nx,y\n\"a, b\",c,d\n",
        3,
        "expected 2 fields as in the header [text, label], found 3");
    assertError(
        "b.csv",
        "text,label\nx,y\nz\n",
        3,
        "expected 2 fields as in the header [text, label], found 1");
    assertError(
        "c.csv",
        "text,label\nx,y\n\"never\nclosed,y\nmore,z\n",
        3,
        "unterminated quoted field (its opening quote is on this line)");
    assertError(
        "d.csv",
        "text,label\n\"quoted\"x,y\n",
        2,
        "unexpected 'x' after a closing quote (write a quote inside a quoted field as \"\")");
    assertError(
        "e.csv",
        "words,label\nx,y\n",
        1,
        "the header must name columns \"text\" and \"label\" (optional: \"client\", \"task\"),"
            + " found [words, label]");
    // QA, 2 December: a JSON key in another case read as a missing field
    assertError(
        "k.jsonl",
        "{\"text\": \"a\", \"label\": \"x\"}\n{\"Text\": \"b\", \"label\": \"y\"}\n",
        2,
        "field \"Text\" must be written \"text\" (field names are lower case)");
    // QA, 2 December: a file separated by semicolons or tabs got no hint
    assertError(
        "e2.csv",
        "text;label\nx;y\n",
        1,
        "the header must name columns \"text\" and \"label\" (optional: \"client\", \"task\"),"
            + " found [text;label]; the header looks separated by semicolons, but a .csv file is"
            + " read as comma-separated (RFC 4180): save it with commas, or as JSON Lines");
    assertError(
        "e3.csv",
        "text\tlabel\nx\ty\n",
        1,
        "the header must name columns \"text\" and \"label\" (optional: \"client\", \"task\"),"
            + " found [text\tlabel]; the header looks separated by tabs, but a .csv file is read"
            + " as comma-separated (RFC 4180): save it with commas, or as JSON Lines");
    assertError("f.csv", "text,label,Text\nx,y,z\n", 1, "duplicate column \"text\"");
    assertError("g.csv", "text,label\n", 1, "no examples after the header");
    assertError("h.csv", "", 1, "empty file");
    assertError("i.csv", "\n\n", 1, "empty file: no header row");
    assertError("j.csv", "text,label\n\"multi\nline\",y\nx,\n", 4, "empty field \"label\"");
  }

  @Test
  void unknownExtensionAndBadEncoding() throws IOException {
    assertError(
        "data.txt",
        "text,label\n",
        1,
        "unknown file type: expected a .jsonl, .json or .csv extension");
    Path p = dir.resolve("latin1.csv");
    byte[] bytes = "text,label\nok,y\ncaf\u00e9,y\n".getBytes(StandardCharsets.ISO_8859_1);
    Files.write(p, bytes);
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataFiles.read(p));
    assertEquals(3, e.line());
    assertTrue(e.reason().startsWith("not valid UTF-8"), e.getMessage());
    // QA, 3 December: a UTF-16 file (as some spreadsheet exports write) was "not valid UTF-8 (byte
    // 1 of the file)"; it is now named as UTF-16.
    Path utf16 = dir.resolve("utf16.csv");
    Files.write(utf16, "text,label\nok,y\n".getBytes(StandardCharsets.UTF_16LE));
    byte[] withMark = Files.readAllBytes(utf16);
    byte[] marked = new byte[withMark.length + 2];
    marked[0] = (byte) 0xFF;
    marked[1] = (byte) 0xFE;
    System.arraycopy(withMark, 0, marked, 2, withMark.length);
    Files.write(utf16, marked);
    e = assertThrows(DataFormatException.class, () -> DataFiles.read(utf16));
    assertEquals(
        utf16 + ":1: not valid UTF-8: it starts with a UTF-16 byte-order mark; save it as UTF-8",
        e.getMessage());
  }

  @Test
  void unknownTestLabelsAreReportedWithLines() throws IOException {
    Dataset train = DataFiles.read(write("train.csv", "text,label\na,pos\nb,neg\nc,pos\n"));
    Path testFile =
        write(
            "test.jsonl",
            "{\"text\":\"x\",\"label\":\"pos\"}\n"
                + "{\"text\":\"y\",\"label\":\"neutral\"}\n"
                + "{\"text\":\"z\",\"label\":\"neg\"}\n"
                + "{\"text\":\"w\",\"label\":\"mixed\"}\n");
    Dataset test = DataFiles.read(testFile);
    LabelCheck check = LabelCheck.of(train, test);
    assertFalse(check.ok());
    assertEquals(2, check.unknown().size());
    assertEquals(List.of("neutral", "mixed"), check.unknownLabels());
    assertEquals(2, check.unknown().get(0).line());
    assertEquals(testFile + ":4", check.unknown().get(1).location());
    assertTrue(check.report().contains(testFile + ":2: \"neutral\""), check.report());
    DataFormatException e =
        assertThrows(DataFormatException.class, () -> DataFiles.readFor(testFile, train));
    assertEquals(
        testFile
            + ":2: unknown label \"neutral\" (not in training); 1 more at "
            + testFile
            + ":4; the unknown labels: \"neutral\", \"mixed\"",
        e.getMessage());

    Path good = write("good.jsonl", "{\"text\":\"x\",\"label\":\"pos\"}\n");
    Dataset aligned = DataFiles.readFor(good, train);
    assertEquals(train.labels(), aligned.labels());
    assertEquals(train.labels().indexOf("pos"), aligned.labelIndex(0));
    assertTrue(LabelCheck.of(train, aligned).ok());
    assertEquals("", LabelCheck.of(train, aligned).report());
  }

  @Test
  void missingFileIsAnIoException() {
    assertThrows(IOException.class, () -> DataFiles.read(dir.resolve("absent.csv")));
  }

  @Test
  void exceptionNamesFileAndLine() {
    DataFormatException e =
        new DataFormatException(Path.of("data/train.jsonl"), 17, "missing field \"label\"");
    assertEquals("data/train.jsonl:17: missing field \"label\"", e.getMessage());
    assertNull(e.getCause());
  }

  /** QA, 2 December: a folder given as a data file failed with "Is a directory" and no path. */
  @Test
  void aFolderIsRefusedByName() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("train.jsonl"));
    assertEquals(
        folder + ": is a folder, not a data file",
        assertThrows(java.nio.file.FileSystemException.class, () -> DataFiles.read(folder))
            .getMessage());
  }

  /** QA, 2 December: a partly filled task column failed late, naming a task "null". */
  @Test
  void aTaskOnSomeExamplesOnlyIsRefusedAtTheFirstLineWithout() throws Exception {
    Path f = dir.resolve("partial.jsonl");
    Files.writeString(
        f,
        "{\"text\": \"a\", \"label\": \"x\", \"task\": \"things\"}\n"
            + "{\"text\": \"b\", \"label\": \"y\", \"task\": \"things\"}\n"
            + "\n"
            + "{\"text\": \"c\", \"label\": \"z\"}\n");
    assertEquals(
        f
            + ":4: no \"task\", while line 1 has one (\"things\"): give every example a task, or none",
        assertThrows(DataFormatException.class, () -> DataFiles.read(f)).getMessage());
    Path csv = dir.resolve("partial.csv");
    Files.writeString(csv, "text,label,task\na,x,\nb,y,things\n");
    assertTrue(
        assertThrows(DataFormatException.class, () -> DataFiles.read(csv))
            .getMessage()
            .startsWith(csv + ":2: no \"task\", while line 3 has one"));
  }
}
