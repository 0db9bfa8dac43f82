package org.fedpeft.federation;

import java.util.Map;
import org.fedpeft.config.StringValues;

/**
 * Well-known keys of the string config map a server sends with each instruction, and typed reads of
 * that map.
 *
 * <p>Values travel as strings (they are part of the message metadata, see {@link FitInstructions}),
 * so every number is written with {@link Integer#toString}, {@link Long#toString} or {@link
 * Double#toString} and read back exactly. A client that does not know a key ignores it; a key it
 * knows with a malformed value is an error naming the key.
 */
public final class ConfigKeys {

  /** Local optimiser steps (mini-batches) to run this round, an integer. */
  public static final String LOCAL_STEPS = "local_steps";

  /** Peak local learning rate, a number. */
  public static final String LEARNING_RATE = "learning_rate";

  /** The seed of this client's local randomness in this round (batch order, dropout), a long. */
  public static final String SEED = "seed";

  /**
   * The client's compute budget as a fraction in (0, 1] (Ravan's b_c, FedBE's capacity): how much
   * of the trainable structure (heads, blocks) it should train.
   */
  public static final String BUDGET = "budget";

  /**
   * {@code true} asks the client to report its training label counts as update metrics {@code
   * label_count.<k>} (FedBE's coverage allocation); a client under sample-level DP does not.
   */
  public static final String REPORT_LABEL_COUNTS = "report_label_counts";

  /** FedProx's proximal coefficient mu, a number (see {@link FedProx}). */
  public static final String PROXIMAL_MU = "proximal_mu";

  private ConfigKeys() {}

  /** The value as an int, or {@code fallback} if absent. */
  public static int getInt(Map<String, String> config, String key, int fallback) {
    String v = config.get(key);
    return v == null ? fallback : StringValues.toInt(v, "config '" + key + "'");
  }

  /** The value as a long, or {@code fallback} if absent. */
  public static long getLong(Map<String, String> config, String key, long fallback) {
    String v = config.get(key);
    return v == null ? fallback : StringValues.toLong(v, "config '" + key + "'");
  }

  /** The value as a double, or {@code fallback} if absent. */
  public static double getDouble(Map<String, String> config, String key, double fallback) {
    String v = config.get(key);
    return v == null ? fallback : StringValues.toDouble(v, "config '" + key + "'");
  }

  /** The value as a boolean ({@code true} or {@code false}), or {@code fallback} if absent. */
  public static boolean getBoolean(Map<String, String> config, String key, boolean fallback) {
    String v = config.get(key);
    return v == null ? fallback : StringValues.toBoolean(v, "config '" + key + "'");
  }
}
