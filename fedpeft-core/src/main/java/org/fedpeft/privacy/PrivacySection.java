package org.fedpeft.privacy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.fedpeft.config.ConfigException;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.io.CommandName;

/**
 * Config keys {@code privacy.*}: no DP, client-level DP-FedAvg ({@link ClientLevelDp}) or
 * sample-level DP-SGD at every client ({@link SampleLevelDp}), their parameters, the budget and
 * where the noise comes from.
 *
 * @param mode {@code none}, {@code client} or {@code sample}
 * @param clientClipNorm client mode: L2 clip norm C of a client's update (initial C if adaptive)
 * @param clientNoiseMultiplier client mode: z, the noise std is z C / clients_per_round
 * @param clientAdaptive client mode: adaptive clipping (Andrew et al.)
 * @param clientTargetQuantile adaptive clipping: target fraction of unclipped updates, in (0, 1)
 * @param clientClipLearningRate adaptive clipping: geometric step of C
 * @param clientCountNoise adaptive clipping: noise std of the unclipped count
 * @param sampleClipNorm sample mode: L2 clip norm of each example's gradient
 * @param sampleNoiseMultiplier sample mode: sigma, the noise std on a batch's sum is sigma C
 * @param epsilon the budget (0: none)
 * @param delta delta of the reported epsilon, in (0, 1)
 * @param noise {@code secure} (SecureRandom) or {@code seeded} (reproducible, not private)
 */
public record PrivacySection(
    String mode,
    double clientClipNorm,
    double clientNoiseMultiplier,
    boolean clientAdaptive,
    double clientTargetQuantile,
    double clientClipLearningRate,
    double clientCountNoise,
    double sampleClipNorm,
    double sampleNoiseMultiplier,
    double epsilon,
    double delta,
    String noise) {

  /** The values {@code privacy.mode} accepts. */
  public static final Set<String> MODES = Set.of("none", "client", "sample");

  /** The keys of this section. */
  public static final ConfigSchema SCHEMA =
      new ConfigSchema()
          .key(
              "privacy.mode",
              Type.STRING,
              "none",
              "none; client: client-level DP-FedAvg (clip each client's update, fixed"
                  + " denominator clients_per_round, Gaussian noise); sample: DP-SGD at each client"
                  + " (Poisson batches, per-example clipping, noise; an accountant per client)",
              v -> MODES.contains(v),
              "none, client or sample")
          .key(
              "privacy.client.clip_norm",
              Type.DOUBLE,
              1.0,
              "L2 clip norm C of a client's update (initial value if adaptive)",
              v -> (double) v > 0,
              "> 0")
          .key(
              "privacy.client.noise_multiplier",
              Type.DOUBLE,
              1.0,
              "z: noise std is z C / clients_per_round",
              v -> (double) v >= 0,
              ">= 0")
          .key("privacy.client.adaptive", Type.BOOLEAN, false, "adaptive clipping (Andrew et al.)")
          .key(
              "privacy.client.target_quantile",
              Type.DOUBLE,
              0.5,
              "adaptive clipping: target fraction of unclipped updates",
              v -> (double) v > 0 && (double) v < 1,
              "in (0, 1)")
          .key(
              "privacy.client.clip_learning_rate",
              Type.DOUBLE,
              0.2,
              "adaptive clipping: geometric step of C",
              v -> (double) v > 0,
              "> 0")
          .key(
              "privacy.client.count_noise",
              Type.DOUBLE,
              1.0,
              "adaptive clipping: noise std of the unclipped count (must exceed z / 2)",
              v -> (double) v > 0,
              "> 0")
          .key(
              "privacy.sample.clip_norm",
              Type.DOUBLE,
              1.0,
              "L2 clip norm C of each example's gradient (flat over the trainable tensors)",
              v -> (double) v > 0,
              "> 0")
          .key(
              "privacy.sample.noise_multiplier",
              Type.DOUBLE,
              1.0,
              "sigma: noise std sigma C on each batch's sum of clipped gradients, which is then"
                  + " divided by client.batch_size (the expected batch size)",
              v -> (double) v >= 0,
              ">= 0")
          .key(
              "privacy.epsilon",
              Type.DOUBLE,
              0.0,
              "budget: a round that would exceed it is refused before any noise (client mode: the"
                  + " run stops; sample mode: per client, the client declines the round) (0: no"
                  + " budget)",
              v -> (double) v >= 0,
              ">= 0")
          .key(
              "privacy.delta",
              Type.DOUBLE,
              1e-5,
              "delta of the reported epsilon",
              v -> (double) v > 0 && (double) v < 1,
              "in (0, 1)")
          .key(
              "privacy.noise",
              Type.STRING,
              "secure",
              "secure (SecureRandom) or seeded (reproducible from the seed; NOT private, the"
                  + " manifest says so)",
              v -> v.equals("secure") || v.equals("seeded"),
              "secure or seeded");

  /** Checks every field against {@link #SCHEMA}. */
  public PrivacySection {
    SCHEMA.require("privacy.mode", mode);
    SCHEMA.require("privacy.client.clip_norm", clientClipNorm);
    SCHEMA.require("privacy.client.noise_multiplier", clientNoiseMultiplier);
    SCHEMA.require("privacy.client.adaptive", clientAdaptive);
    SCHEMA.require("privacy.client.target_quantile", clientTargetQuantile);
    SCHEMA.require("privacy.client.clip_learning_rate", clientClipLearningRate);
    SCHEMA.require("privacy.client.count_noise", clientCountNoise);
    SCHEMA.require("privacy.sample.clip_norm", sampleClipNorm);
    SCHEMA.require("privacy.sample.noise_multiplier", sampleNoiseMultiplier);
    SCHEMA.require("privacy.epsilon", epsilon);
    SCHEMA.require("privacy.delta", delta);
    SCHEMA.require("privacy.noise", noise);
    double z = noiseMultiplier(mode, clientNoiseMultiplier, sampleNoiseMultiplier);
    if (!mode.equals("none") && z == 0 && epsilon > 0) {
      String key = "privacy." + mode + ".noise_multiplier";
      throw ConfigException.about(
          List.of(key, "privacy.epsilon", "privacy.mode"),
          key
              + " = 0 adds no noise, so the budget privacy.epsilon = "
              + epsilon
              + " can never be met (without noise epsilon is infinite): "
              + (mode.equals("client")
                  ? "the run would stop before its first round"
                  : "every client would decline every round")
              + "; set "
              + key
              + " > 0 ("
              + CommandName.command("privacy noise")
              + " picks one), or privacy.epsilon = 0 for no budget");
    }
  }

  /**
   * The keys of this section whose value the run does not read, each with the reason: every key but
   * {@code privacy.mode} under {@code none}; the other mode's {@code privacy.client.*} or {@code
   * privacy.sample.*} keys; the adaptive-clipping keys without {@code privacy.client.adaptive};
   * {@code privacy.delta} when the mode's noise multiplier is 0 (without noise epsilon is infinite
   * whatever the delta); {@code privacy.noise} when the mode's noise multiplier is 0 and no other
   * noise is drawn (adaptive clipping's count noise, {@code privacy.client.count_noise}, is drawn
   * from it whatever the multiplier). A run folder's config.json holds every key, these included.
   */
  public Map<String, String> unusedKeys() {
    Map<String, String> unused = new LinkedHashMap<>();
    for (String name : SCHEMA.keys().keySet()) {
      if (name.equals("privacy.mode")) {
        continue;
      }
      if (mode.equals("none")) {
        unused.put(name, "privacy.mode = \"none\"");
      } else if (name.startsWith("privacy.client.") && !mode.equals("client")) {
        unused.put(name, "privacy.mode = \"" + mode + "\"");
      } else if (name.startsWith("privacy.sample.") && !mode.equals("sample")) {
        unused.put(name, "privacy.mode = \"" + mode + "\"");
      } else if (ADAPTIVE_ONLY.contains(name) && !clientAdaptive) {
        unused.put(name, "privacy.client.adaptive = false");
      } else if (name.equals("privacy.delta") && noiseless()) {
        unused.put(
            name, "privacy." + mode + ".noise_multiplier = 0: without noise epsilon is infinite");
      } else if (name.equals("privacy.noise") && !drawsNoise()) {
        unused.put(name, "privacy." + mode + ".noise_multiplier = 0: no noise is drawn");
      }
    }
    return unused;
  }

  /**
   * Whether the run draws any noise from {@code privacy.noise}: a DP mode whose noise multiplier is
   * above 0, or client-level DP with adaptive clipping, whose count noise ({@code
   * privacy.client.count_noise}) is drawn whatever the multiplier.
   */
  public boolean drawsNoise() {
    return !mode.equals("none") && (!noiseless() || (mode.equals("client") && clientAdaptive));
  }

  /**
   * Whether the run has a DP mode whose noise multiplier is 0: its releases add no noise, so no
   * finite epsilon exists. False under {@code privacy.mode = "none"}.
   */
  public boolean noiseless() {
    return !mode.equals("none")
        && noiseMultiplier(mode, clientNoiseMultiplier, sampleNoiseMultiplier) == 0;
  }

  /**
   * The noise multiplier of {@code mode}: {@code privacy.client.noise_multiplier} under {@code
   * client}, else {@code privacy.sample.noise_multiplier}.
   */
  private static double noiseMultiplier(String mode, double client, double sample) {
    return mode.equals("client") ? client : sample;
  }

  /** The keys that only adaptive clipping reads. */
  private static final Set<String> ADAPTIVE_ONLY =
      Set.of(
          "privacy.client.target_quantile",
          "privacy.client.clip_learning_rate",
          "privacy.client.count_noise");

  /**
   * Reads the section from resolved values. With {@code privacy.mode = "none"} any other {@code
   * privacy.*} key set to something other than its default is an error naming the key (it would be
   * silently unused), as an option of another strategy is in {@code server.*}: comparing with the
   * default, not asking whether the key was written, so that a run folder's config.json, which
   * holds every key, reads back.
   */
  public static PrivacySection from(ConfigValues v) {
    String mode = v.getString("privacy.mode");
    if (mode.equals("none")) {
      for (ConfigSchema.Key k : SCHEMA.keys().values()) {
        Object value = v.values().get(k.name());
        if (!k.name().equals("privacy.mode") && !Objects.equals(value, k.defaultValue())) {
          String modes =
              k.name().startsWith("privacy.client.")
                  ? "privacy.mode = \"client\""
                  : k.name().startsWith("privacy.sample.")
                      ? "privacy.mode = \"sample\""
                      : "privacy.mode = \"client\" or \"sample\"";
          throw v.error(
              k.name(),
              k.name()
                  + " = "
                  + value
                  + " does nothing with privacy.mode = \"none\" (no differential privacy): set "
                  + modes
                  + ", or leave "
                  + k.name()
                  + " out");
        }
      }
    }
    return new PrivacySection(
        v.getString("privacy.mode"),
        v.getDouble("privacy.client.clip_norm"),
        v.getDouble("privacy.client.noise_multiplier"),
        v.getBoolean("privacy.client.adaptive"),
        v.getDouble("privacy.client.target_quantile"),
        v.getDouble("privacy.client.clip_learning_rate"),
        v.getDouble("privacy.client.count_noise"),
        v.getDouble("privacy.sample.clip_norm"),
        v.getDouble("privacy.sample.noise_multiplier"),
        v.getDouble("privacy.epsilon"),
        v.getDouble("privacy.delta"),
        v.getString("privacy.noise"));
  }
}
