package org.fedpeft.peft.lora;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.peft.TargetModules;
import org.fedpeft.train.TrainConfig.FloatRule;

/**
 * Configuration of a LoRA adapter (Hu et al. 2021, arXiv 2106.09685): {@code y = W x + (alpha / r)
 * B A dropout(x)} on each target module, with A (r x in) random and B (out x r) zero at init.
 *
 * @param rank r, at least 1
 * @param alpha the scaling numerator; the update is scaled by alpha / r
 * @param dropout dropout rate on the adapter's input, in [0, 1)
 * @param targetModules module name patterns (see {@link org.fedpeft.peft.TargetModules})
 * @param trainA whether A is trained; false gives FFA-LoRA (A frozen at its random init)
 */
public record LoraConfig(
    int rank, float alpha, float dropout, List<String> targetModules, boolean trainA) {

  /** The options {@link #fromOptions} reads: name, type, default, check and meaning. */
  public static final ConfigSchema OPTIONS =
      new ConfigSchema()
          .key(
              "rank",
              Type.INT,
              8,
              "r, the inner dimension of B A; at most min(out, in) of every target module (384"
                  + " on the bundled MiniLM), checked when the adapter is made on the model",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "alpha",
              Type.DOUBLE,
              16.0,
              "scaling numerator: the update B A x is scaled by alpha / r",
              v -> FloatRule.POSITIVE.test((double) v),
              FloatRule.POSITIVE.constraint())
          .key(
              "dropout",
              Type.DOUBLE,
              0.05,
              "dropout rate on the adapter's input (training only)",
              v -> (double) v >= 0 && (float) (double) v < 1,
              "in [0, 1) as a 32-bit float")
          .key(
              "targets",
              Type.STRING_LIST,
              List.of("query", "value"),
              "linear modules to adapt, by name pattern: query, key, value, attention.output,"
                  + " ffn.in, ffn.out, all-linear, a module name suffix, or a regular expression"
                  + " matching full names",
              v -> TargetModules.requireKnown((List<?>) v),
              "at least one module name, alias or pattern that matches a linear module")
          .key(
              "train_a",
              Type.BOOLEAN,
              true,
              "train A; false keeps A at its seeded random init (FFA-LoRA; server.strategy ="
                  + " \"ffa-lora\" sets it)");

  /** The defaults of {@link #OPTIONS}: r = 8, alpha = 16, dropout 0.05 on query and value. */
  public static final LoraConfig DEFAULT = fromOptions(Map.of());

  /**
   * Checks every field, naming the one that is wrong: argument checks for code that builds a
   * config. A user's options never reach them, as every method that uses LoRA (lora, fedlora,
   * fedsa-lora, feddpa; the ffa-lora strategy sets lora's train_a) checks its options against
   * {@link #OPTIONS} first, in its own name; so the messages name no method.
   */
  public LoraConfig {
    if (rank < 1) {
      throw new IllegalArgumentException("LoraConfig: rank must be at least 1, got " + rank);
    }
    if (!(alpha > 0) || !Float.isFinite(alpha)) {
      throw new IllegalArgumentException(
          "LoraConfig: alpha must be positive and finite, got " + alpha);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("LoraConfig: dropout must be in [0, 1), got " + dropout);
    }
    if (targetModules == null || targetModules.isEmpty()) {
      throw new IllegalArgumentException("LoraConfig: targetModules must name at least one module");
    }
    targetModules = List.copyOf(targetModules);
  }

  /** The factor alpha / r applied to B A. */
  public float scaling() {
    return alpha / rank;
  }

  /**
   * Reads options {@code rank}, {@code alpha}, {@code dropout}, {@code targets} ('+'-separated
   * patterns) and {@code train_a} as {@link #OPTIONS} declares them; missing ones take its
   * defaults.
   *
   * @throws IllegalArgumentException naming an unknown option or a bad value
   */
  public static LoraConfig fromOptions(Map<String, String> options) {
    ConfigValues v = OPTIONS.readOptions(options, "lora");
    return new LoraConfig(
        v.getInt("rank"),
        (float) v.getDouble("alpha"),
        (float) v.getDouble("dropout"),
        v.getStringList("targets"),
        v.getBoolean("train_a"));
  }

  /** The options that {@link #fromOptions} reads back to this config. */
  public Map<String, String> toOptions() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("rank", Integer.toString(rank));
    m.put("alpha", Float.toString(alpha));
    m.put("dropout", Float.toString(dropout));
    m.put("targets", String.join("+", targetModules));
    m.put("train_a", Boolean.toString(trainA));
    return m;
  }
}
