package org.fedpeft.config;

/**
 * A bad value of an option read as {@code name=value} (an adapter method's {@code rank}, say),
 * found where how the user wrote the option is not known: a config file writes it {@code
 * adapter.rank = 8}, {@code train} {@code --adapter-options rank=8}. The message names it {@code
 * owner: option 'name'} ({@link #name}, the one place that words it); an entry point that knows how
 * its user wrote the option names it so instead with {@link #messageFor}.
 */
public final class OptionException extends IllegalArgumentException {

  private final String owner;
  private final String option;
  private final String rest;

  /**
   * @param owner the method (or strategy) whose option it is, e.g. {@code lora}
   * @param option the option's name, e.g. {@code rank}
   * @param rest what follows the option's name in the message, starting with {@code " = VALUE"}
   *     when the value comes next ({@code " = 500 is more than ..."}), else with a blank ({@code "
   *     must be an integer, got 'x'"})
   */
  public OptionException(String owner, String option, String rest) {
    this(owner, option, rest, null);
  }

  /** As {@link #OptionException(String, String, String)}, with the cause. */
  public OptionException(String owner, String option, String rest, Throwable cause) {
    super(name(owner, option) + rest, cause);
    this.owner = owner;
    this.option = option;
    this.rest = rest;
  }

  /** An option named for a message: {@code lora: option 'rank'}. */
  public static String name(String owner, String option) {
    return owner + ": option '" + option + "'";
  }

  /** The method (or strategy) whose option it is. */
  public String owner() {
    return owner;
  }

  /** The option's name. */
  public String option() {
    return option;
  }

  /**
   * The message with the option named as {@code key} instead: {@code messageFor("adapter.rank", " =
   * ")} gives {@code adapter.rank = 500 is more than ...}, {@code messageFor("--adapter-options
   * rank", "=")} gives {@code --adapter-options rank=500 is more than ...}.
   *
   * @param assign what joins the name to a value that follows it
   */
  public String messageFor(String key, String assign) {
    return key + (rest.startsWith(" = ") ? assign + rest.substring(3) : rest);
  }

  /** The first {@link OptionException} in {@code t}'s cause chain (itself included), or null. */
  public static OptionException in(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof OptionException o) {
        return o;
      }
    }
    return null;
  }
}
