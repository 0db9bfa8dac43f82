package org.fedpeft.io;

/**
 * A run folder cannot be used: another process holds it, it holds another command's output, it is a
 * file, or it is not empty. The message names the folder and what to do instead.
 */
public final class RunFolderException extends RuntimeException {
  public RunFolderException(String message) {
    super(message);
  }
}
