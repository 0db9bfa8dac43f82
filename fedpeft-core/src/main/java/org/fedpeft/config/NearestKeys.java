package org.fedpeft.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Suggestions for a misspelt key: the known keys nearest to it by edit distance (Levenshtein:
 * insertions, deletions and substitutions each count 1).
 */
public final class NearestKeys {

  private NearestKeys() {}

  /**
   * The known keys nearest to {@code key}, at most three. A key qualifies when its distance to
   * {@code key} is at most max(2, length / 3); if none does, keys whose last dotted part is that
   * close to {@code key}'s last part qualify instead (so {@code learning_rate} outside its table
   * finds {@code client.learning_rate} and {@code server.learning_rate}). Empty if nothing is near.
   */
  public static List<String> of(String key, Collection<String> known) {
    List<String> near = nearest(key, known, false);
    return near.isEmpty() ? nearest(key, known, true) : near;
  }

  /**
   * {@code " (did you mean "a"?)"}, {@code " (did you mean "a" or "b"?)"}, or an empty string when
   * nothing is near; {@code quote} is put around each key.
   */
  public static String didYouMean(String key, Collection<String> known, String quote) {
    List<String> near = of(key, known);
    if (near.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder(" (did you mean ");
    for (int i = 0; i < near.size(); i++) {
      if (i > 0) {
        b.append(i == near.size() - 1 ? " or " : ", ");
      }
      b.append(quote).append(near.get(i)).append(quote);
    }
    return b.append("?)").toString();
  }

  private static List<String> nearest(String key, Collection<String> known, boolean lastPart) {
    String k = lastPart ? last(key) : key;
    int limit = Math.max(2, k.length() / 3);
    int best = Integer.MAX_VALUE;
    List<String> out = new ArrayList<>();
    for (String candidate : known) {
      if (candidate.endsWith("*")) {
        continue;
      }
      int d = distance(k, lastPart ? last(candidate) : candidate);
      if (d > limit || d > best) {
        continue;
      }
      if (d < best) {
        best = d;
        out.clear();
      }
      out.add(candidate);
    }
    return out.size() > 3 ? out.subList(0, 3) : out;
  }

  private static String last(String key) {
    return key.substring(key.lastIndexOf('.') + 1);
  }

  /** The Levenshtein distance between two strings. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
