package org.fedpeft.io;

import com.google.gson.Gson;
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
    TreeSet<String> keys = new TreeSet<>(now.keySet());
    keys.addAll(then.keySet());
    for (String key : keys) {
      Object a = now.get(key);
      Object b = then.get(key);
      if (!Objects.equals(a, b)) {
        throw new IllegalArgumentException(
            nowFile
                + ": "
                + key
                + " is "
                + shown(a)
                + ", but "
                + thenName
                + " recorded "
                + shown(b)
                + " when the run started; a resume continues the run as it started, with the"
                + " same "
                + same
                + ": restore the value, or start a new run");
      }
    }
  }

  /** A value as JSON ({@code "fp32"}, {@code 0.001}, {@code ["query","value"]}), or unset. */
  private static String shown(Object value) {
    return value == null ? "unset" : new Gson().toJson(value);
  }
}
