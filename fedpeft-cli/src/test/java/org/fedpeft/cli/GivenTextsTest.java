package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link GivenTexts}: texts handed over in chunks as standard input is read, a chunk ended early
 * only where a pause is to be answered, and a bad line refused after the texts before it.
 */
class GivenTextsTest {

  private static InputStream stdin(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A stream that gives one line per read and says that nothing more is at hand after each ({@link
   * InputStream#available} 0), as a terminal after each line typed.
   */
  private static InputStream typed(String... lines) {
    return new InputStream() {
      private int next;

      @Override
      public int read() {
        throw new UnsupportedOperationException();
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (next == lines.length) {
          return -1;
        }
        byte[] line = (lines[next++] + "\n").getBytes(StandardCharsets.UTF_8);
        System.arraycopy(line, 0, b, off, line.length);
        return line.length;
      }

      @Override
      public int available() {
        return 0;
      }
    };
  }

  /** Chunks of the size asked for, blank lines skipped, then an empty chunk at the end. */
  @Test
  void standardInputComesInChunks() throws IOException {
    GivenTexts t =
        GivenTexts.skippingBlankLines(List.of(), "text", stdin("a\n\nb\n \nc\r\nd\ne"), false);
    assertEquals(ProgressBar.UNKNOWN, t.total());
    assertEquals(List.of("a", "b"), t.next(2));
    assertEquals(List.of("c", "d"), t.next(2));
    assertEquals(List.of("e"), t.next(2));
    assertEquals(List.of(), t.next(2));
    GivenTexts args = GivenTexts.skippingBlankLines(List.of("x", "y", "z"), "text", null, false);
    assertEquals(3, args.total());
    assertEquals(List.of("x", "y"), args.next(2));
    assertEquals(List.of("z"), args.next(2));
    assertEquals(List.of(), args.next(2));
  }

  /**
   * Off a terminal, a chunk is full whatever the writer's pauses (so the output does not depend on
   * them); on one, each line typed ends a chunk when nothing more is at hand.
   */
  @Test
  void aPauseEndsAChunkOnlyOnATerminal() throws IOException {
    GivenTexts piped = GivenTexts.skippingBlankLines(List.of(), "text", typed("a", "b"), false);
    assertEquals(List.of("a", "b"), piped.next(10));
    GivenTexts terminal =
        GivenTexts.skippingBlankLines(List.of(), "text", typed("a", "", "b"), true);
    assertEquals(List.of("a"), terminal.next(10));
    assertEquals(List.of("b"), terminal.next(10));
    assertEquals(List.of(), terminal.next(10));
  }

  /**
   * A byte that is not UTF-8, and embed's refused blank line: the texts before its line come first,
   * then the error names the line.
   */
  @Test
  void aBadLineIsRefusedAfterTheTextsBeforeIt() throws IOException {
    byte[] latin1 = "a\nb\ncaf\u00e9\nd\n".getBytes(StandardCharsets.ISO_8859_1);
    GivenTexts t =
        GivenTexts.skippingBlankLines(List.of(), "text", new ByteArrayInputStream(latin1), false);
    assertEquals(List.of("a", "b"), t.next(10));
    UserInputException e = assertThrows(UserInputException.class, () -> t.next(10));
    assertEquals("standard input:3: not valid UTF-8 (byte 8 of the file)", e.getMessage());
    GivenTexts blank = GivenTexts.refusingBlankLines(List.of(), "why", stdin("a\nb\n\nc\n"));
    assertEquals(List.of("a"), blank.next(1));
    assertEquals(List.of("b"), blank.next(5));
    assertEquals(
        "line 3 of standard input is blank: why",
        assertThrows(UserInputException.class, () -> blank.next(5)).getMessage());
    assertEquals(
        "query 2 is empty",
        assertThrows(
                UserInputException.class,
                () -> GivenTexts.skippingBlankLines(List.of("a", " "), "query", null, false))
            .getMessage());
  }
}
