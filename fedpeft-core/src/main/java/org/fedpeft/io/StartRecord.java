package org.fedpeft.io;

import com.google.gson.Gson;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The check a resume makes of a run's record against the copy kept from the run's start: {@code
 * simulate} and {@code server} compare config.json with manifest.json's config, {@code train} its
 * train.json with the copy in its checkpoint. Both refuse the first key (in key order) whose value
 * differs, naming the edited file and both values.
 */
public final class StartRecord {

  private StartRecord() {}

  /**
   * Refuses {@code now} (the values read from {@code nowFile}) unless it equals {@code then} (the
   * values {@code thenName} recorded when the run started), key by key.
   *
   * @param nowFile the file a resume reads, named first in the message
   * @param thenName what holds the start copy, e.g. {@code manifest.json}
   * @param same what a resume keeps, e.g. {@code config (rounds included)}
   * @throws IllegalArgumentException naming {@code nowFile}, the first differing key and both
   *     values (JSON, or unset)
   */
  public static void requireSame(
      Map<String, ?> now, Map<String, ?> then, Object nowFile, String thenName, String same) {
    List<String> differences = differences(now, then, thenName);
    if (!differences.isEmpty()) {
      throw new IllegalArgumentException(
          nowFile
              + ": "
              + differences.get(0)
              + "; a resume continues the run as it started, with the same "
              + same
              + ": restore the value, or start a new run");
    }
  }

  /**
   * Each key (in key order) whose value in {@code now} differs from {@code then}'s (the values
   * {@code thenName} recorded when the run started), described as {@code KEY is NOW, but THENNAME
   * recorded THEN when the run started}; empty if they are equal.
   */
  public static List<String> differences(Map<String, ?> now, Map<String, ?> then, String thenName) {
    TreeSet<String> keys = new TreeSet<>(now.keySet());
    keys.addAll(then.keySet());
    List<String> differences = new ArrayList<>();
    for (String key : keys) {
      Object a = now.get(key);
      Object b = then.get(key);
      if (!Objects.equals(a, b)) {
        differences.add(
            key
                + " is "
                + shown(a)
                + ", but "
                + thenName
                + " recorded "
                + shown(b)
                + " when the run started");
      }
    }
    return differences;
  }

  /** A value as JSON ({@code "fp32"}, {@code 0.001}, {@code ["query","value"]}), or unset. */
  private static String shown(Object value) {
    return value == null ? "unset" : new Gson().toJson(value);
  }
}
