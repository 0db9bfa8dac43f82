package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedpeft.io.Utf8Input;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Utf8Input}: strict UTF-8 read block by block, with characters split across blocks, errors
 * past the first block naming the right line and byte, and no read beyond what is asked for.
 */
class Utf8InputTest {
  @TempDir Path dir;

  /** Lines of multi-byte characters over several 64 KiB blocks read back exactly. */
  @Test
  void charactersSplitAcrossBlocksAreReadBack() throws IOException {
    StringBuilder text = new StringBuilder("\uFEFF");
    for (int i = 0; i < 20_000; i++) {
      text.append("line ").append(i).append(" caf\u00e9 \u20ac \uD83D\uDE00\r\n");
    }
    Path p = Files.writeString(dir.resolve("big.txt"), text);
    assertTrue(Files.size(p) > 4 * 65_536, "spans several blocks");
    try (Utf8Input in = new Utf8Input(Files.newInputStream(p), p, DataFormatException::new)) {
      assertEquals(text.substring(1), in.rest());
    }
  }

  /** A bad byte in a later block is named by its line and its byte in the file. */
  @Test
  void aBadByteInALaterBlockNamesItsLineAndByte() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < 6_000; i++) {
      bytes.writeBytes(("{\"text\": \"row " + i + " \u00e9\"}\n").getBytes(StandardCharsets.UTF_8));
    }
    int at = bytes.size() + 12; // 1-based, on line 6001, after {"text": "x
    bytes.writeBytes("{\"text\": \"x".getBytes(StandardCharsets.UTF_8));
    bytes.write(0xE9); // Latin-1 e-acute, not UTF-8
    bytes.writeBytes("\"}\n".getBytes(StandardCharsets.UTF_8));
    Path p = Files.write(dir.resolve("late.jsonl"), bytes.toByteArray());
    assertTrue(at > 2 * 65_536, "past the first blocks");
    DataFormatException e =
        assertThrows(DataFormatException.class, () -> DataFiles.forEachText(p, row -> {}));
    assertEquals(p + ":6001: not valid UTF-8 (byte " + at + " of the file)", e.getMessage());
  }

  /**
   * A line is handed over without the stream being read past it; a byte-order mark alone is no
   * text.
   */
  @Test
  void readsNoFurtherThanTheLineAsked() throws IOException {
    boolean[] secondAllowed = {false};
    InputStream stream =
        new InputStream() {
          private int reads;

          @Override
          public int read() {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) {
            reads++;
            byte[] part =
                switch (reads) {
                  case 1 -> "first\r\n".getBytes(StandardCharsets.UTF_8);
                  case 2 -> {
                    assertTrue(secondAllowed[0], "read ahead of the first line");
                    yield "second".getBytes(StandardCharsets.UTF_8);
                  }
                  default -> null;
                };
            if (part == null) {
              return -1;
            }
            System.arraycopy(part, 0, b, off, part.length);
            return part.length;
          }
        };
    Utf8Input in = new Utf8Input(stream, Path.of("stream"), DataFormatException::new);
    assertEquals("first", in.readLine());
    secondAllowed[0] = true;
    assertEquals("second", in.readLine());
    assertNull(in.readLine());
    Utf8Input mark =
        new Utf8Input(
            new java.io.ByteArrayInputStream(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}),
            Path.of("mark"),
            DataFormatException::new);
    assertEquals(-1, mark.next());
    assertFalse(mark.hadText());
  }

  /**
   * QA, 5 December: a stream handing over one byte per read (a pipe may) had its UTF-16 file called
   * "not valid UTF-8 (byte 1)": the first byte was decided on alone. The first two bytes are read
   * before anything is decoded, so the byte-order mark is named.
   */
  @Test
  void aUtf16StreamReadOneByteAtATimeIsNamedByItsByteOrderMark() {
    byte[] utf16 = "\uFEFFa cat\n".getBytes(StandardCharsets.UTF_16LE);
    InputStream oneByte =
        new java.io.ByteArrayInputStream(utf16) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, 1));
          }
        };
    Utf8Lines lines = new Utf8Lines(oneByte, "standard input");
    DataFormatException e = assertThrows(DataFormatException.class, lines::next);
    assertEquals(
        "standard input:1: not valid UTF-8: it starts with a UTF-16 byte-order mark; save it as"
            + " UTF-8",
        e.getMessage());
  }

  /**
   * The lines before a malformed byte in the same block are handed out before it is reported, so
   * that a stream's reader can answer them; the error names the byte's line.
   */
  @Test
  void theLinesBeforeABadByteAreReadFirst() throws IOException {
    byte[] latin1 = "first\nsecond\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
    Utf8Lines lines = new Utf8Lines(new java.io.ByteArrayInputStream(latin1), "in");
    assertEquals("first", lines.next());
    assertEquals("second", lines.next());
    assertEquals(2, lines.line());
    DataFormatException e = assertThrows(DataFormatException.class, lines::next);
    assertEquals("in:3: not valid UTF-8 (byte 17 of the file)", e.getMessage());
  }
}
