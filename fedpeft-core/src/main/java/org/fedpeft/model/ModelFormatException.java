package org.fedpeft.model;

import java.io.IOException;

/**
 * A model folder or one of its files is missing, malformed or of an unsupported kind; the message
 * names the file. The user's input is at fault, not fedpeft (the command line exits 2).
 */
public final class ModelFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
