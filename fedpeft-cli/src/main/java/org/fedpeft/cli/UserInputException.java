package org.fedpeft.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import org.fedpeft.io.RunFolder;

/** Bad input found while a command runs (a file, a value): exit code 2, one line on stderr. */
public final class UserInputException extends RuntimeException {
  public UserInputException(String message) {
    super(message);
  }

  public UserInputException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * The user error (exit 2) for {@code e}, failing to read a file the user gave, where the file
   * system refuses its path ({@link RunFolder#refuses}: missing, permission denied, a file where a
   * folder should be): {@code what}, the reason in parentheses, then {@code remedy}. Otherwise the
   * machine failed (an I/O error while reading) and this throws an IOException (exit 1) whose
   * message is {@code what} and {@code e}'s. A damaged file comes as its reader's format exception
   * (bad input), not here. Every command that reads a file the user gave tells the two apart here:
   * {@code throw UserInputException.unreadable(...)}.
   *
   * @throws IOException where the file system does not refuse the path
   */
  static UserInputException unreadable(IOException e, String what, String remedy)
      throws IOException {
    if (e instanceof FileSystemException fs && RunFolder.refuses(fs)) {
      return new UserInputException(what + " (" + RunFolder.refusalReason(fs) + ")" + remedy, e);
    }
    throw new IOException(what + ": " + e.getMessage(), e);
  }
}
