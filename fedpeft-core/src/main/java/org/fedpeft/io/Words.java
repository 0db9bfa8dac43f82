package org.fedpeft.io;

/**
 * The wording of counts in the messages fedpeft prints, in core and in the command line alike (the
 * CLI's {@code Main.plural} is this one).
 */
public final class Words {

  private Words() {}

  /**
   * {@code noun} as it follows a count of {@code n}: as given for 1, with an "s" for any other
   * count ("1 example", "0 examples", "2 examples"). The caller formats the number.
   */
  public static String plural(long n, String noun) {
    return plural(n, noun, noun + "s");
  }

  /**
   * {@code noun} as it follows a count of {@code n}, for a noun whose plural is not the singular
   * with an "s": {@code nouns} for any count but 1 ("1 query", "0 queries").
   */
  public static String plural(long n, String noun, String nouns) {
    return n == 1 ? noun : nouns;
  }
}
