package org.fedpeft.cli;

/**
 * The fedpeft command as the user ran it, for every hint that says what to run next ("continue
 * with: ./fedpeft simulate --resume runs/x"), so that a hint pasted into the same shell runs the
 * same launcher: README and docs run it as {@code ./fedpeft}, and a bare {@code fedpeft} is
 * "command not found" unless the launcher's folder is on PATH. The launcher passes the name in the
 * system property {@value #PROPERTY}: {@code ./fedpeft} or the path it was run by, or {@code
 * fedpeft} when PATH finds it by that name (the script says why). Without the property (tests,
 * {@code java -cp}) the name is {@value #DEFAULT}. The one place that gives the name: runtime
 * messages call {@link #command}, help texts use {@link #IN_HELP}.
 */
final class Launcher {
  private Launcher() {}

  /** The system property the launcher sets. */
  static final String PROPERTY = "fedpeft.command";

  /** The name without the property. */
  static final String DEFAULT = "fedpeft";

  /**
   * The name inside a picocli help text (a compile-time constant, for annotations): picocli puts
   * the property's value in its place, or {@value #DEFAULT}.
   */
  static final String IN_HELP = "${sys:" + PROPERTY + ":-" + DEFAULT + "}";

  /**
   * The name the user ran fedpeft by ({@value #DEFAULT} without the property, or if it is blank).
   */
  static String name() {
    String name = System.getProperty(PROPERTY);
    return name == null || name.isBlank() ? DEFAULT : name;
  }

  /** "NAME ARGS": the command line that runs fedpeft with {@code args}, as the user ran it. */
  static String command(String args) {
    return name() + " " + args;
  }
}
