package org.fedpeft.io;

import java.util.regex.Pattern;

/**
 * The fedpeft command as the user ran it, for every message that says what to run next ("continue
 * with: ./fedpeft simulate --resume runs/x", "every key: ./fedpeft simulate --list-keys"), so that
 * the command pasted into the same shell runs the same launcher: README and docs run it as {@code
 * ./fedpeft}, and a bare {@code fedpeft} is "command not found" unless the launcher's folder is on
 * PATH. The launcher passes the name in the system property {@value #PROPERTY}: {@code ./fedpeft}
 * or the path it was run by, or {@code fedpeft} when PATH finds it by that name (the script says
 * why). Without the property (tests, {@code java -cp}), or with a blank one, the name is {@value
 * #DEFAULT}.
 *
 * <p>The one place that gives the name, for every module: runtime messages call {@link #command};
 * text fixed when a class loads (a config key's meaning or rule) holds {@link #PLACEHOLDER} in the
 * name's place, which {@link #named} replaces with the name when the text is shown (so {@code
 * simulate --list-keys} prints the name it was run by). Messages that name the program rather than
 * a command to run ("another fedpeft process", "fedpeft certs: ..." before a refusal) keep {@code
 * fedpeft}.
 */
public final class CommandName {
  private CommandName() {}

  /** What {@link #arg} leaves unquoted: no character a POSIX shell reads specially. */
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:@%+=,-]+");

  /** The system property the launcher sets. */
  public static final String PROPERTY = "fedpeft.command";

  /** The name without the property. */
  public static final String DEFAULT = "fedpeft";

  /** Stands for the name in text fixed before the name is asked for ({@link #named}). */
  public static final String PLACEHOLDER = "{fedpeft}";

  /**
   * The name the user ran fedpeft by ({@value #DEFAULT} without the property, or if it is blank).
   */
  public static String name() {
    String name = System.getProperty(PROPERTY);
    return name == null || name.isBlank() ? DEFAULT : name;
  }

  /** "NAME ARGS": the command line that runs fedpeft with {@code args}, as the user ran it. */
  public static String command(String args) {
    return name() + " " + args;
  }

  /**
   * "fedpeft COMMAND --resume DIR OPTIONS" ({@link #command}, DIR one shell word: {@link #arg}):
   * every hint that says how to resume a run.
   */
  public static String resume(String command, Object dir, String options) {
    return command(command + " --resume " + arg(dir) + options);
  }

  /**
   * {@code value} (a path, an address, a name) as one word of a POSIX shell command line: as it is
   * when it holds only letters, digits and {@code _ . / : @ % + = , -}; else in single quotes, a
   * single quote inside written {@code '\''} (so {@code runs/my run} gives {@code 'runs/my run'}).
   * Every value a hint puts into a command to paste goes through this.
   */
  public static String arg(Object value) {
    String s = String.valueOf(value);
    if (!s.isEmpty() && SAFE.matcher(s).matches()) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** {@code text} with every {@link #PLACEHOLDER} replaced by {@link #name}. */
  public static String named(String text) {
    return text.contains(PLACEHOLDER) ? text.replace(PLACEHOLDER, name()) : text;
  }
}
