package org.fedpeft.simulation;

import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;

/**
 * Config keys {@code eval.*}: how often the global model is evaluated and on how many clients'
 * held-out data.
 *
 * @param every evaluate every this many rounds (and after the last), at least 1
 * @param clients clients evaluated each time (0: all)
 */
public record EvalSection(int every, int clients) {

  /** The keys of this section. */
  public static final ConfigSchema SCHEMA =
      new ConfigSchema()
          .key(
              "eval.every",
              Type.INT,
              5,
              "evaluate every N rounds (and after the last)",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "eval.clients",
              Type.INT,
              50,
              "clients whose held-out data is evaluated at each evaluation (0: all)",
              v -> (int) v >= 0,
              ">= 0");

  /** Checks every field against {@link #SCHEMA}. */
  public EvalSection {
    SCHEMA.require("eval.every", every);
    SCHEMA.require("eval.clients", clients);
  }

  /** Reads the section from resolved values. */
  public static EvalSection from(ConfigValues v) {
    return new EvalSection(v.getInt("eval.every"), v.getInt("eval.clients"));
  }
}
