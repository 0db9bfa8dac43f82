package org.fedpeft.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.data.DataFiles;
import org.fedpeft.data.DataFormatException;

/**
 * The texts a command takes as its arguments or, when there are none, one per line on standard
 * input ({@code retrieve}'s queries, {@code predict}'s texts): a blank argument is refused by its
 * position, blank lines of standard input are skipped, and standard input must be UTF-8.
 */
final class GivenTexts {
  private GivenTexts() {}

  /**
   * {@code arguments} if there are any, else the non-blank lines of {@code stdin}, in order.
   *
   * @param what what one argument is, for the error ("query", "text")
   * @throws UserInputException for a blank argument ("query 2 is empty") or standard input that is
   *     not UTF-8
   */
  static List<String> read(List<String> arguments, String what, InputStream stdin)
      throws IOException {
    if (!arguments.isEmpty()) {
      for (int i = 0; i < arguments.size(); i++) {
        if (arguments.get(i).isBlank()) {
          throw new UserInputException(what + " " + (i + 1) + " is empty");
        }
      }
      return arguments;
    }
    List<String> lines = new ArrayList<>();
    try {
      for (String line : DataFiles.readUtf8Lines(stdin, "standard input")) {
        if (!line.isBlank()) {
          lines.add(line);
        }
      }
    } catch (DataFormatException e) {
      throw new UserInputException(e.getMessage(), e);
    }
    return lines;
  }
}
