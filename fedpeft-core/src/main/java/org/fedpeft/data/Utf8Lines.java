package org.fedpeft.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import org.fedpeft.io.Utf8Input;

/**
 * The lines of a stream (standard input, say) one at a time, as they arrive: strictly UTF-8 as data
 * files are read (a leading byte-order mark dropped), split at LF or CR LF, never read further than
 * the line asked for needs. A byte that is not UTF-8 is a {@link DataFormatException} naming the
 * stream and its line, thrown once the lines before it have been handed out.
 */
public final class Utf8Lines {
  private final Utf8Input text;
  private int line;

  /**
   * @param source names the stream in errors ("standard input")
   */
  public Utf8Lines(InputStream in, String source) {
    text = new Utf8Input(in, Path.of(source), DataFormatException::new);
  }

  /**
   * The next line (without its line end), or null at the end of the stream; waits until the line
   * has arrived whole (its LF, or the end of the stream).
   *
   * @throws DataFormatException naming the source and line of a byte that is not UTF-8
   */
  public String next() throws IOException {
    String next = text.readLine();
    if (next != null) {
      line++;
    }
    return next;
  }

  /** The 1-based number of the line {@link #next} returned last (0 before the first). */
  public int line() {
    return line;
  }

  /**
   * Whether more of the stream is at hand without waiting for it (read and not handed out yet, the
   * stream's end, or bytes the stream can give at once): false when whoever writes it has paused.
   */
  public boolean ready() throws IOException {
    return text.ready();
  }
}
