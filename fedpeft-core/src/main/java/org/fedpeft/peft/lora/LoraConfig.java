package org.fedpeft.peft.lora;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.peft.Options;

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

  /** The usual defaults: r = 8, alpha = 16, dropout 0.05 on query and value. */
  public static final LoraConfig DEFAULT =
      new LoraConfig(8, 16f, 0.05f, List.of("query", "value"), true);

  /** Validates every field, naming the one that is wrong. */
  public LoraConfig {
    if (rank < 1) {
      throw new IllegalArgumentException("lora: rank must be at least 1, got " + rank);
    }
    if (!(alpha > 0) || !Float.isFinite(alpha)) {
      throw new IllegalArgumentException("lora: alpha must be positive, got " + alpha);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("lora: dropout must be in [0, 1), got " + dropout);
    }
    if (targetModules == null || targetModules.isEmpty()) {
      throw new IllegalArgumentException("lora: targets must name at least one module");
    }
    targetModules = List.copyOf(targetModules);
  }

  /** The factor alpha / r applied to B A. */
  public float scaling() {
    return alpha / rank;
  }

  /**
   * Reads options {@code rank}, {@code alpha}, {@code dropout}, {@code targets} ('+'-separated
   * patterns) and {@code train_a}; missing ones take {@link #DEFAULT}'s values.
   */
  public static LoraConfig fromOptions(Map<String, String> options) {
    Options o = new Options("lora", options);
    LoraConfig c =
        new LoraConfig(
            o.getInt("rank", DEFAULT.rank),
            o.getFloat("alpha", DEFAULT.alpha),
            o.getFloat("dropout", DEFAULT.dropout),
            o.getList("targets", DEFAULT.targetModules),
            o.getBoolean("train_a", true));
    o.rejectUnknown();
    return c;
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
