package org.fedpeft.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {

  @TempDir Path dir;

  Path write(String name, String... lines) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, List.of(lines));
    return p;
  }

  @Test
  void readsIdsAndTextsInOrderAndQueriesAgainstThem() throws Exception {
    Path c =
        write(
            "corpus.jsonl",
            "\uFEFF{\"id\": \"b\", \"text\": \"second letter\", \"extra\": 1}",
            "",
            "{\"id\": 7, \"text\": \"a number id\"}",
            "{\"text\": \"first letter\", \"id\": \"a\"}");
    Corpus corpus = Corpus.read(c);
    assertEquals(List.of("b", "7", "a"), corpus.ids());
    assertEquals(List.of("second letter", "a number id", "first letter"), corpus.texts());
    assertEquals(2, corpus.indexOf("a"));
    assertEquals(-1, corpus.indexOf("z"));
    Path q =
        write(
            "queries.jsonl",
            "{\"text\": \"after a\", \"doc\": \"b\"}",
            "{\"text\": \"seven\", \"doc\": 7}");
    Dataset d = corpus.readQueries(q);
    assertEquals(List.of("b", "7", "a"), d.labels()); // every document is a label, in order
    assertEquals(2, d.size());
    assertEquals(1, d.labelIndex(1));
  }

  @Test
  void errorsNameFileLineAndWhatIsWrong() throws Exception {
    Path dup =
        write(
            "dup.jsonl",
            "{\"id\": \"x\", \"text\": \"one\"}",
            "{\"id\": \"y\", \"text\": \"two\"}",
            "{\"id\": \"x\", \"text\": \"three\"}");
    assertEquals(
        dup + ":3: duplicate document id \"x\" (first on line 1)",
        assertThrows(DataFormatException.class, () -> Corpus.read(dup)).getMessage());
    Path empty = write("empty.jsonl", "{\"id\": \"x\", \"text\": \"  \"}");
    assertEquals(
        empty + ":1: document \"x\" has an empty text",
        assertThrows(DataFormatException.class, () -> Corpus.read(empty)).getMessage());
    Path noId = write("noid.jsonl", "{\"text\": \"t\"}");
    assertEquals(
        noId + ":1: missing field \"id\"",
        assertThrows(DataFormatException.class, () -> Corpus.read(noId)).getMessage());
    Path bad = write("bad.jsonl", "{\"id\": \"x\", \"text\": \"t\"}", "{\"id\": ");
    assertEquals(
        bad + ":2: invalid JSON at column 8: End of input",
        assertThrows(DataFormatException.class, () -> Corpus.read(bad)).getMessage());
    Path blank = write("blank.jsonl", "", " ");
    assertThrows(DataFormatException.class, () -> Corpus.read(blank));
    // QA, 3 December: a blank id was a document, and " x " another one than "x".
    Path blankId =
        write(
            "blank-id.jsonl",
            "{\"id\": \"x\", \"text\": \"t\"}",
            "{\"id\": \" \", \"text\": \"u\"}");
    assertEquals(
        blankId + ":2: empty or blank \"id\"",
        assertThrows(DataFormatException.class, () -> Corpus.read(blankId)).getMessage());
    Path padded =
        write(
            "padded.jsonl",
            "{\"id\": \"x\", \"text\": \"t\"}",
            "{\"id\": \" x \", \"text\": \"u\"}");
    assertEquals(
        padded + ":2: duplicate document id \"x\" (first on line 1)",
        assertThrows(DataFormatException.class, () -> Corpus.read(padded)).getMessage());

    Corpus corpus = Corpus.read(write("c.jsonl", "{\"id\": \"x\", \"text\": \"t\"}"));
    Path q =
        write(
            "q.jsonl",
            "{\"text\": \"fine\", \"doc\": \"x\"}",
            "{\"text\": \"hm\", \"doc\": \"w\"}");
    assertEquals(
        q + ":2: doc \"w\" is not a document id of the corpus " + dir.resolve("c.jsonl"),
        assertThrows(DataFormatException.class, () -> corpus.readQueries(q)).getMessage());
    Path qe = write("qe.jsonl", "{\"text\": \"\", \"doc\": \"x\"}");
    assertEquals(
        qe + ":1: empty query text",
        assertThrows(DataFormatException.class, () -> corpus.readQueries(qe)).getMessage());
  }

  /**
   * QA, 2 December: a corpus or query file was read leniently and without strict UTF-8 (a Latin-1
   * byte gave "Input length = 1" with no file or line; single quotes, comments, NaN and repeated
   * fields were accepted), unlike data files.
   */
  @Test
  void readAsStrictlyAsDataFiles() throws Exception {
    Path latin1 = dir.resolve("latin1.jsonl");
    byte[] line2 =
        "{\"id\": \"b\", \"text\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1);
    Files.write(
        latin1,
        concat("{\"id\": \"a\", \"text\": \"ok\"}\n".getBytes(StandardCharsets.UTF_8), line2));
    String m = assertThrows(DataFormatException.class, () -> Corpus.read(latin1)).getMessage();
    assertTrue(m.startsWith(latin1 + ":2: not valid UTF-8"), m);
    Path single = write("single.jsonl", "{id: 'x9', text: 'single quoted'}");
    m = assertThrows(DataFormatException.class, () -> Corpus.read(single)).getMessage();
    assertTrue(m.startsWith(single + ":1: invalid JSON at column"), m);
    Path nan = write("nan.jsonl", "{\"id\": \"x\", \"text\": NaN}");
    assertThrows(DataFormatException.class, () -> Corpus.read(nan));
    Path twice = write("twice.jsonl", "{\"id\": \"x\", \"text\": \"a\", \"text\": \"b\"}");
    assertEquals(
        twice + ":1: duplicate field \"text\"",
        assertThrows(DataFormatException.class, () -> Corpus.read(twice)).getMessage());
    Path folder = Files.createDirectories(dir.resolve("a-folder.jsonl"));
    assertEquals(
        folder + ": is a folder, not a data file",
        assertThrows(FileSystemException.class, () -> Corpus.read(folder)).getMessage());
    Corpus ok = Corpus.read(write("bom.jsonl", "\uFEFF{\"id\": \"x\", \"text\": \"t\"}\r"));
    assertEquals(List.of("x"), ok.ids());
  }

  /**
   * QA, 2 December (later): a CSV corpus or query file (--data takes CSV, so a user tries it with
   * --corpus too) failed with "invalid JSON at column 1" only. It is refused by name.
   */
  @Test
  void aCsvCorpusOrQueryFileIsRefusedByName() throws Exception {
    Path csv = write("corpus.csv", "id,text", "x,a document");
    assertEquals(
        csv
            + ":1: a corpus is read as JSON Lines (one {\"id\": ..., \"text\": ...} per line), not"
            + " CSV: save it as .jsonl",
        assertThrows(DataFormatException.class, () -> Corpus.read(csv)).getMessage());
    Corpus corpus = Corpus.read(write("c.jsonl", "{\"id\": \"x\", \"text\": \"t\"}"));
    Path q = write("Queries.CSV", "text,doc", "a query,x");
    assertEquals(
        q
            + ":1: queries of a corpus are read as JSON Lines (one {\"text\": ..., \"doc\": ...} per"
            + " line), not CSV: save it as .jsonl",
        assertThrows(DataFormatException.class, () -> corpus.readQueries(q)).getMessage());
  }

  /** QA, 2 December: the splits tasks export writes ("label" ids) did not read back as queries. */
  @Test
  void queriesMayNameTheirDocumentAsLabel() throws Exception {
    Corpus corpus =
        Corpus.read(
            write(
                "c2.jsonl",
                "{\"id\": \"d0\", \"text\": \"t\"}",
                "{\"id\": \"d1\", \"text\": \"u\"}"));
    Dataset d =
        corpus.readQueries(
            write(
                "exported.jsonl",
                "{\"text\": \"q\", \"label\": \"d1\"}",
                "{\"text\": \"r\", \"doc\": \"d0\", \"label\": \"d0\"}"));
    assertEquals(1, d.labelIndex(0));
    assertEquals(0, d.labelIndex(1));
    Path both = write("both.jsonl", "{\"text\": \"q\", \"doc\": \"d0\", \"label\": \"d1\"}");
    assertEquals(
        both + ":1: \"doc\" and \"label\" name different documents; give one",
        assertThrows(DataFormatException.class, () -> corpus.readQueries(both)).getMessage());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void ofChecksDuplicatesAndEmptyTexts() {
    assertThrows(
        IllegalArgumentException.class, () -> Corpus.of("c", List.of("a", "a"), List.of("x", "y")));
    assertThrows(
        IllegalArgumentException.class, () -> Corpus.of("c", List.of("a", "b"), List.of("x", "")));
    assertThrows(IllegalArgumentException.class, () -> Corpus.of("c", List.of(), List.of()));
  }
}
