package org.fedpeft.cli;

import org.fedpeft.io.CommandName;

/**
 * The fedpeft command as the user ran it, for the command line's hints and help texts: the launcher
 * passes it in the system property {@value #PROPERTY}, and {@link CommandName} (in fedpeft-core, so
 * that the messages of every module name it the same way) holds the rule. Runtime messages call
 * {@link #command}, help texts use {@link #IN_HELP}.
 */
final class Launcher {
  private Launcher() {}

  /** The system property the launcher sets. */
  static final String PROPERTY = CommandName.PROPERTY;

  /** The name without the property. */
  static final String DEFAULT = CommandName.DEFAULT;

  /**
   * The name inside a picocli help text (a compile-time constant, for annotations): {@link
   * Main#newCommandLine} puts the name in its place itself, escaped so that a '%' or '$' of the
   * launcher's path is printed as it is (picocli would read them as format specifiers and
   * variables, in the property's value too). A command line built otherwise gets the property's
   * value from picocli, or {@value #DEFAULT}.
   */
  static final String IN_HELP = "${sys:" + PROPERTY + ":-" + DEFAULT + "}";

  /**
   * The name the user ran fedpeft by ({@value #DEFAULT} without the property, or if it is blank).
   */
  static String name() {
    return CommandName.name();
  }

  /** "NAME ARGS": the command line that runs fedpeft with {@code args}, as the user ran it. */
  static String command(String args) {
    return CommandName.command(args);
  }

  /** {@code value} as one word of the shell command line a hint shows ({@link CommandName#arg}). */
  static String arg(Object value) {
    return CommandName.arg(value);
  }
}
