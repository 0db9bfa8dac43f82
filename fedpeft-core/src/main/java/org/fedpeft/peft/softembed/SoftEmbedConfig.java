package org.fedpeft.peft.softembed;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;

/**
 * Configuration of a soft-embedding adapter.
 *
 * @param form {@code linear}, {@code lowrank} or {@code mlp}
 * @param rank k: the inner width of {@code lowrank} (U = P Q, P d x k, Q k x d) and of {@code
 *     mlp}'s bottleneck; unused by {@code linear}
 * @param placement {@code tokens} (the raw word embeddings) or {@code embeddings} (after the
 *     embedding LayerNorm)
 */
public record SoftEmbedConfig(String form, int rank, String placement) {

  /** The forms. */
  public static final List<String> FORMS = List.of("linear", "lowrank", "mlp");

  /** The placements. */
  public static final List<String> PLACEMENTS = List.of("tokens", "embeddings");

  /** The options {@link #fromOptions} reads: name, type, default, check and meaning. */
  public static final ConfigSchema OPTIONS =
      new ConfigSchema()
          .key(
              "form",
              Type.STRING,
              "linear",
              "linear: e' = e + U e (U d x d, zero at init); lowrank: U = P Q (P d x k zero, Q k x"
                  + " d seeded); mlp: e' = e + W2 gelu(W1 e + b1) + b2 (W1 seeded, the rest zero)",
              v -> FORMS.contains(v),
              "one of " + String.join(", ", FORMS))
          .key(
              "rank",
              Type.INT,
              16,
              "k, the inner width of the lowrank and mlp forms (the linear form ignores it); with"
                  + " lowrank at most the model's hidden size (384 on the bundled MiniLM), checked"
                  + " when the adapter is made on the model",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "placement",
              Type.STRING,
              "tokens",
              "tokens: on the raw word embeddings, before position embeddings and the embedding"
                  + " LayerNorm; embeddings: after that LayerNorm, before the first block",
              v -> PLACEMENTS.contains(v),
              "one of " + String.join(", ", PLACEMENTS));

  /** Validates every field, naming the one that is wrong. */
  public SoftEmbedConfig {
    if (!FORMS.contains(form)) {
      throw new IllegalArgumentException(
          "softembed: form must be one of " + FORMS + ", got '" + form + "'");
    }
    if (rank < 1) {
      throw new IllegalArgumentException("softembed: rank must be at least 1, got " + rank);
    }
    if (!PLACEMENTS.contains(placement)) {
      throw new IllegalArgumentException(
          "softembed: placement must be one of " + PLACEMENTS + ", got '" + placement + "'");
    }
  }

  /**
   * Reads options {@code form}, {@code rank} and {@code placement} as {@link #OPTIONS} declares
   * them; missing ones take its defaults.
   *
   * @throws IllegalArgumentException naming an unknown option or a bad value
   */
  public static SoftEmbedConfig fromOptions(Map<String, String> options) {
    ConfigValues v = OPTIONS.readOptions(options, "softembed");
    return new SoftEmbedConfig(v.getString("form"), v.getInt("rank"), v.getString("placement"));
  }

  /** The options that {@link #fromOptions} reads back to this config (rank always included). */
  public Map<String, String> toOptions() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("form", form);
    m.put("rank", Integer.toString(rank));
    m.put("placement", placement);
    return m;
  }
}
