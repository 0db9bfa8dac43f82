package org.fedpeft.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedpeft.data.DataFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link Corpus#read} and {@link Corpus#readQueries} say about files a user got wrong. */
class CorpusMessagesTest {

  @TempDir Path dir;

  /**
   * QA, 3 December: an empty corpus or query file was said to have "only blank lines"; it is an
   * "empty file", as a data file is (DataFiles.read).
   */
  @Test
  void anEmptyFileIsCalledEmptyAndABlankOneBlank() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
    Path blank = Files.writeString(dir.resolve("blank.jsonl"), "\n \n");
    assertEquals(
        empty + ":1: empty file",
        assertThrows(DataFormatException.class, () -> Corpus.read(empty)).getMessage());
    assertEquals(
        blank + ":1: no documents: the file has only blank lines",
        assertThrows(DataFormatException.class, () -> Corpus.read(blank)).getMessage());
    Corpus c =
        Corpus.read(Files.writeString(dir.resolve("c.jsonl"), "{\"id\": \"a\", \"text\": \"x\"}"));
    assertEquals(
        empty + ":1: empty file",
        assertThrows(DataFormatException.class, () -> c.readQueries(empty)).getMessage());
    assertEquals(
        blank + ":1: no queries: the file has only blank lines",
        assertThrows(DataFormatException.class, () -> c.readQueries(blank)).getMessage());
  }

  /**
   * QA, 3 December: a query file in tasks export's form ("label" for the document id) with an id
   * the corpus lacks said 'doc "x" is not a document id', naming a field the file does not have.
   */
  @Test
  void anUnknownDocumentIdNamesTheFieldItCameFrom() throws Exception {
    Corpus c =
        Corpus.read(Files.writeString(dir.resolve("c.jsonl"), "{\"id\": \"a\", \"text\": \"x\"}"));
    Path byLabel =
        Files.writeString(dir.resolve("q.jsonl"), "{\"text\": \"a query\", \"label\": \"zz\"}\n");
    assertEquals(
        byLabel + ":1: label \"zz\" is not a document id of the corpus " + dir.resolve("c.jsonl"),
        assertThrows(DataFormatException.class, () -> c.readQueries(byLabel)).getMessage());
  }
}
