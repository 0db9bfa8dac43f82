package org.fedpeft.io;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The characters of a byte stream decoded as strict UTF-8 block by block, so that a file is read
 * without being held whole: a leading byte-order mark is dropped, and a malformed byte sequence is
 * the caller's exception ({@link Malformed}: the data readers' {@code DataFormatException}, {@link
 * JsonFiles}' {@link JsonFileException}) naming the line it is on (counted by LF bytes) and its
 * byte in the stream (a UTF-16 byte-order mark at the start is named as such, the first two bytes
 * being read before anything is decoded). The characters before a malformed sequence are handed out
 * before it is reported. Read one character at a time with {@link #peek} and {@link #next}. The one
 * strict UTF-8 decoder of the user's text files: data files ({@code data.DataFiles}), standard
 * input ({@code data.Utf8Lines}) and the JSON files of run, adapter and model folders ({@link
 * JsonFiles}).
 */
public final class Utf8Input implements Closeable {
  private static final int BLOCK = 1 << 16;

  /** Makes the exception for a malformed byte sequence. */
  @FunctionalInterface
  public interface Malformed {
    /**
     * The exception for a byte sequence that is not UTF-8 on {@code line} (1-based) of {@code
     * source}; {@code reason} says what is wrong and where ("not valid UTF-8 (byte 7 of the
     * file)").
     */
    RuntimeException at(Path source, int line, String reason);
  }

  private final Path source;
  private final InputStream in;
  private final Malformed errorOf;
  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  /** Bytes read and not yet decoded, in write mode (position = end of them). */
  private final ByteBuffer bytes = ByteBuffer.allocate(BLOCK);

  /** Decoded characters, in read mode. */
  private final CharBuffer chars = CharBuffer.allocate(BLOCK);

  /** The stream offset of {@code bytes}' first byte. */
  private long offset;

  /** LF bytes before {@code offset}. */
  private int newlines;

  private final byte[] firstTwo = new byte[2];
  private boolean started;
  private boolean hadText;
  private boolean eof;
  private boolean done;

  /** The malformed sequence found after the characters not yet handed out, thrown next. */
  private RuntimeException pendingError;

  /**
   * @param source names the stream in errors (a file's path, or "standard input")
   * @param malformed makes the exception thrown for a byte sequence that is not UTF-8
   */
  public Utf8Input(InputStream in, Path source, Malformed malformed) {
    this.in = in;
    this.source = source;
    this.errorOf = malformed;
    chars.flip();
  }

  /** The next character without taking it, or -1 at the end of the stream. */
  public int peek() throws IOException {
    if (!chars.hasRemaining() && !fill()) {
      return -1;
    }
    return chars.get(chars.position());
  }

  /** The next character, taken, or -1 at the end of the stream. */
  public int next() throws IOException {
    if (!chars.hasRemaining() && !fill()) {
      return -1;
    }
    return chars.get();
  }

  /** Every character left in the stream, taken. */
  public String rest() throws IOException {
    StringBuilder text = new StringBuilder();
    for (int c = next(); c >= 0; c = next()) {
      text.append((char) c);
    }
    return text.toString();
  }

  /** Decodes the next block into {@code chars}; false at the end of the stream. */
  private boolean fill() throws IOException {
    if (pendingError != null) {
      throw pendingError;
    }
    chars.clear();
    while (chars.position() == 0 && !done) {
      if (!eof) {
        int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
        if (n < 0) {
          eof = true;
        } else {
          if (offset == 0) {
            for (int i = bytes.position(); i < Math.min(2, bytes.position() + n); i++) {
              firstTwo[i] = bytes.get(i);
            }
          }
          bytes.position(bytes.position() + n);
        }
        if (offset == 0 && bytes.position() < 2 && !eof) {
          // The first two bytes decide whether a malformed start is named a UTF-16 byte-order
          // mark: a stream (a pipe) may hand over its first byte alone.
          continue;
        }
      }
      bytes.flip();
      CoderResult result = decoder.decode(bytes, chars, eof);
      if (!result.isError() && eof && !bytes.hasRemaining() && !result.isOverflow()) {
        result = decoder.flush(chars);
        done = !result.isError() && !result.isOverflow();
      }
      if (result.isError()) {
        RuntimeException e = malformed(bytes.position());
        if (chars.position() == 0) {
          throw e;
        }
        // The characters before the malformed sequence are handed out first (the lines before
        // it are read), and the next fill throws.
        pendingError = e;
        break;
      }
      for (int i = 0; i < bytes.position(); i++) {
        if (bytes.get(i) == '\n') {
          newlines++;
        }
      }
      offset += bytes.position();
      bytes.compact();
    }
    chars.flip();
    if (!started && chars.hasRemaining()) {
      started = true;
      if (chars.get(0) == '\uFEFF') {
        chars.get();
        if (!chars.hasRemaining()) {
          return fill();
        }
      }
    }
    hadText |= chars.hasRemaining();
    return chars.hasRemaining();
  }

  /** The error for a malformed sequence at index {@code at} of the undecoded bytes. */
  private RuntimeException malformed(int at) {
    long total = offset + bytes.limit();
    if (total >= 2
        && ((firstTwo[0] == (byte) 0xFF && firstTwo[1] == (byte) 0xFE)
            || (firstTwo[0] == (byte) 0xFE && firstTwo[1] == (byte) 0xFF))) {
      return errorOf.at(
          source, 1, "not valid UTF-8: it starts with a UTF-16 byte-order mark; save it as UTF-8");
    }
    int line = 1 + newlines;
    for (int i = 0; i < at; i++) {
      if (bytes.get(i) == '\n') {
        line++;
      }
    }
    return errorOf.at(source, line, "not valid UTF-8 (byte " + (offset + at + 1) + " of the file)");
  }

  /**
   * The rest of the line (up to LF, which is taken but not returned; a CR before it is dropped), or
   * null at the end of the stream.
   */
  public String readLine() throws IOException {
    int c = next();
    if (c < 0) {
      return null;
    }
    StringBuilder line = new StringBuilder();
    while (c >= 0 && c != '\n') {
      line.append((char) c);
      c = next();
    }
    int n = line.length();
    if (n > 0 && line.charAt(n - 1) == '\r') {
      line.setLength(n - 1);
    }
    return line.toString();
  }

  /**
   * Whether more of the stream is at hand without waiting for it: characters or bytes read and not
   * yet handed out, the end of the stream reached, or bytes the stream says it can give at once
   * ({@link InputStream#available}).
   */
  public boolean ready() throws IOException {
    return chars.hasRemaining() || bytes.position() > 0 || eof || in.available() > 0;
  }

  /** Whether the stream held any character (a byte-order mark alone is none); after reading it. */
  public boolean hadText() {
    return hadText;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
