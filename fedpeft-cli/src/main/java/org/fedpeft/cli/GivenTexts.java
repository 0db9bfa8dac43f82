package org.fedpeft.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.Utf8Lines;

/**
 * The texts a command takes as its arguments or, when there are none, one per line on standard
 * input ({@code predict}'s texts, {@code retrieve}'s queries, {@code embed}'s texts), handed over
 * in chunks as they are read: standard input is never held whole, so an endless stream is answered
 * chunk by chunk. Standard input must be UTF-8; a blank argument is refused by its position (before
 * any text is handed over); a blank line is skipped, or refused by its line where the command
 * prints one result per line. A bad line of standard input (a byte that is not UTF-8, a refused
 * blank line) is refused once the texts before it have been handed over.
 *
 * <p>A chunk is full at the size asked for, or at the end of the input; on an interactive terminal
 * ({@link #STDIN_TERMINAL}), also when no further line has been typed yet, so that each line typed
 * is answered at once. Off a terminal (a pipe, a file), chunks are full whatever the timing of the
 * writer, so that the output does not depend on it: a text's probabilities depend, in their last
 * bits, on the texts batched with it.
 */
final class GivenTexts {

  /**
   * The system property by which the launcher says whether standard input is a terminal ({@code
   * true} or {@code false}); where it says nothing (the command line run in-process), {@link
   * System#console()} decides (standard input and output both terminals).
   */
  static final String STDIN_TERMINAL = "fedpeft.stdin.terminal";

  private final List<String> arguments;
  private final Utf8Lines lines;
  private final IntFunction<String> blankLine;
  private final boolean answerEachPause;
  private int nextArgument;
  private UserInputException pending;

  private GivenTexts(
      List<String> arguments,
      InputStream stdin,
      IntFunction<String> blankLine,
      boolean answerEachPause) {
    this.arguments = arguments;
    this.lines = arguments.isEmpty() ? new Utf8Lines(stdin, "standard input") : null;
    this.blankLine = blankLine;
    this.answerEachPause = answerEachPause;
  }

  /**
   * {@code arguments} if there are any, else the non-blank lines of {@code stdin} (blank ones
   * skipped), as {@code predict} and {@code retrieve} take them.
   *
   * @param what what one argument is, for the error ("query", "text")
   * @throws UserInputException for a blank argument ("query 2 is empty")
   */
  static GivenTexts skippingBlankLines(List<String> arguments, String what, InputStream stdin) {
    return skippingBlankLines(arguments, what, stdin, stdinIsTerminal());
  }

  /**
   * As {@link #skippingBlankLines(List, String, InputStream)}, with whether a chunk ends when the
   * input pauses given (tests).
   */
  static GivenTexts skippingBlankLines(
      List<String> arguments, String what, InputStream stdin, boolean answerEachPause) {
    requireNoBlank(arguments, i -> what + " " + i + " is empty");
    return new GivenTexts(arguments, stdin, null, answerEachPause);
  }

  /**
   * {@code arguments} if there are any, else every line of {@code stdin}, a blank one refused (by
   * its position among the arguments, or its line), as {@code embed} takes them: one result per
   * line.
   *
   * @param why what is wrong with a blank text, the end of the error ("text 2 is blank: WHY")
   * @throws UserInputException for a blank argument
   */
  static GivenTexts refusingBlankLines(List<String> arguments, String why, InputStream stdin) {
    requireNoBlank(arguments, i -> "text " + i + " is blank: " + why);
    return new GivenTexts(
        arguments,
        stdin,
        line -> "line " + line + " of standard input is blank: " + why,
        stdinIsTerminal());
  }

  private static void requireNoBlank(List<String> arguments, IntFunction<String> error) {
    for (int i = 0; i < arguments.size(); i++) {
      if (arguments.get(i).isBlank()) {
        throw new UserInputException(error.apply(i + 1));
      }
    }
  }

  /** Whether standard input is an interactive terminal: as the launcher said, else the console. */
  static boolean stdinIsTerminal() {
    String told = System.getProperty(STDIN_TERMINAL);
    return told != null ? Boolean.parseBoolean(told) : System.console() != null;
  }

  /**
   * The number of texts, when known before they are read (the arguments), else {@link
   * ProgressBar#UNKNOWN}.
   */
  int total() {
    return lines == null ? arguments.size() : ProgressBar.UNKNOWN;
  }

  /**
   * The note a command prints on standard error when no text at all was given: "COMMAND: no WHAT
   * (none given as arguments, and standard input had no non-blank line)", or "... standard input
   * was empty" where blank lines are refused.
   *
   * @param what what the texts are, in the plural ("texts", "queries")
   */
  String noneGiven(String command, String what) {
    return command
        + ": no "
        + what
        + " (none given as arguments, and standard input "
        + (blankLine == null ? "had no non-blank line" : "was empty")
        + ")";
  }

  /**
   * The next texts, at most {@code max}, in input order; empty once all were handed over. Waits for
   * standard input until the chunk is full or the input ends (or, on a terminal, until a line typed
   * is followed by a pause).
   *
   * @throws UserInputException for a line of standard input that is not UTF-8 or is a refused blank
   *     line, naming its line: once the texts read before it were handed over (the next call throws
   *     it if this chunk had texts)
   */
  List<String> next(int max) throws IOException {
    if (pending != null) {
      throw pending;
    }
    List<String> chunk = new ArrayList<>();
    if (lines == null) {
      while (chunk.size() < max && nextArgument < arguments.size()) {
        chunk.add(arguments.get(nextArgument++));
      }
      return chunk;
    }
    try {
      while (chunk.size() < max && (chunk.isEmpty() || !answerEachPause || lines.ready())) {
        String line = lines.next();
        if (line == null) {
          break;
        }
        if (!line.isBlank()) {
          chunk.add(line);
        } else if (blankLine != null) {
          throw new UserInputException(blankLine.apply(lines.line()));
        }
      }
    } catch (DataFormatException | UserInputException e) {
      pending = e instanceof UserInputException u ? u : new UserInputException(e.getMessage(), e);
      if (chunk.isEmpty()) {
        throw pending;
      }
    }
    return chunk;
  }
}
