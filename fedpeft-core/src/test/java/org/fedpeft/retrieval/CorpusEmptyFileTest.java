package org.fedpeft.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedpeft.data.DataFiles;
import org.fedpeft.data.DataFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus or query file with nothing in it is called what a data file with nothing in it is (one
 * rule for both readers, in {@link DataFiles}).
 */
class CorpusEmptyFileTest {

  @TempDir Path dir;

  /**
   * QA, 3 December: Corpus had its own copy of DataFiles' "empty file" rule, which judged the
   * file's size: a file holding only a UTF-8 byte-order mark was "empty file" as data and "no
   * documents: the file has only blank lines" as a corpus.
   */
  @Test
  void aFileWithOnlyAByteOrderMarkIsEmptyAsDataAndAsACorpus() throws Exception {
    Path bom = dir.resolve("bom.jsonl");
    Files.write(bom, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
    String empty = bom + ":1: empty file";
    assertEquals(
        empty, assertThrows(DataFormatException.class, () -> DataFiles.read(bom)).getMessage());
    assertEquals(
        empty, assertThrows(DataFormatException.class, () -> Corpus.read(bom)).getMessage());
    Corpus c =
        Corpus.read(Files.writeString(dir.resolve("c.jsonl"), "{\"id\": \"a\", \"text\": \"x\"}"));
    assertEquals(
        empty, assertThrows(DataFormatException.class, () -> c.readQueries(bom)).getMessage());
  }
}
