package org.fedpeft.io;

import java.util.Comparator;

/**
 * Orders strings as a reader counts: runs of digits compare as numbers, the rest as text, so that
 * {@code client-2} comes before {@code client-10} (text order puts {@code client-10} first). Equal
 * numbers written with different leading zeros ({@code 2}, {@code 02}) fall back to text order, so
 * that the order is total and consistent with {@link String#equals}. Used wherever the run's report
 * lists clients: simulated clients are zero-padded ({@code client-02}) and sort the same either
 * way, but a deployment's node ids are the user's.
 */
public final class NaturalOrder implements Comparator<String> {

  /** The one instance. */
  public static final NaturalOrder INSTANCE = new NaturalOrder();

  private NaturalOrder() {}

  @Override
  public int compare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char ca = a.charAt(i);
      char cb = b.charAt(j);
      if (isDigit(ca) && isDigit(cb)) {
        int ei = digitsEnd(a, i);
        int ej = digitsEnd(b, j);
        int c = compareNumbers(a.substring(i, ei), b.substring(j, ej));
        if (c != 0) {
          return c;
        }
        i = ei;
        j = ej;
      } else {
        if (ca != cb) {
          return Character.compare(ca, cb);
        }
        i++;
        j++;
      }
    }
    int c = Integer.compare(a.length() - i, b.length() - j);
    return c != 0 ? c : a.compareTo(b);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int digitsEnd(String s, int from) {
    int e = from;
    while (e < s.length() && isDigit(s.charAt(e))) {
      e++;
    }
    return e;
  }

  /** Two runs of ASCII digits by value, of any length (no overflow). */
  private static int compareNumbers(String x, String y) {
    String a = x.replaceFirst("^0+(?=.)", "");
    String b = y.replaceFirst("^0+(?=.)", "");
    int c = Integer.compare(a.length(), b.length());
    return c != 0 ? c : a.compareTo(b);
  }
}
