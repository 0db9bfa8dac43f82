package org.fedpeft.peft.dual;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.peft.lora.LoraConfig;

/**
 * Configuration of a FedDPA adapter (Yang et al., NeurIPS 2024, arXiv 2403.19211): a GLOBAL and a
 * LOCAL LoRA of the same shape on one model, how they are trained, and how they are mixed per
 * example at inference.
 *
 * @param lora the shape of both LoRA adapters (rank, alpha, dropout, targets)
 * @param variant {@link Variant#T} trains the local adapter every round, {@link Variant#F}
 *     fine-tunes it from the global one before the client evaluates
 * @param localWeight a, the weight of the local adapter while it trains in FedDPA-T's local phase
 *     ({@code a dW_local x + (1 - a) stopgrad(dW_global x)}), in (0, 1]
 * @param localShare the fraction of a round's local steps that FedDPA-T's local phase takes, in (0,
 *     1); the global phase takes the rest
 * @param finetuneEpochs FedDPA-F: epochs over the client's training data that the local adapter is
 *     fine-tuned for, at least 0
 * @param instances k, how many of its own training examples a client keeps as anchors
 * @param maxWeight lambda: the instance weight is {@code clamp(lambda * mean cosine similarity, 0,
 *     1)}, at least 0
 * @param weightGoesTo which adapter the instance weight multiplies (the other gets one minus it)
 * @param embedding which adapter, on top of the base model, embeds inputs and anchors
 */
public record FedDpaConfig(
    LoraConfig lora,
    Variant variant,
    double localWeight,
    double localShare,
    double finetuneEpochs,
    int instances,
    double maxWeight,
    Target weightGoesTo,
    Embedding embedding) {

  /** The training variant. */
  public enum Variant {
    /**
     * From the second round on, every round trains the local adapter (against the frozen global
     * one), then the global adapter alone; the first round trains the global adapter only.
     */
    T,
    /**
     * FedIT for every round; before a client evaluates, its local adapter is a copy of the global
     * one fine-tuned on its own data.
     */
    F
  }

  /** Which of the two adapters. */
  public enum Target {
    GLOBAL,
    LOCAL;

    /** The option value. */
    public String optionValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What embeds an input for the instance weight: the base model plus which adapter. */
  public enum Embedding {
    /** The base model plus the local adapter (the reference code). */
    LOCAL,
    /** The base model plus the global adapter. */
    GLOBAL,
    /** The base model alone. */
    BASE;

    /** The option value. */
    public String optionValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The options {@link #fromOptions} reads: LoRA's shape, then FedDPA's own. */
  public static final ConfigSchema OPTIONS =
      LoraOptions.addTo(new ConfigSchema())
          .key(
              "variant",
              Type.STRING,
              "T",
              "FedDPA-T: from round 2 on, each round trains the local adapter (against the frozen"
                  + " global one), then the global adapter alone; round 1 trains the global one"
                  + " only. FedDPA-F: FedIT every round; before a client evaluates, its local"
                  + " adapter is the global one fine-tuned for finetune_epochs on its data",
              v -> v.equals("T") || v.equals("F"),
              "T or F")
          .key(
              "local_weight",
              Type.DOUBLE,
              0.5,
              "a: FedDPA-T's local phase computes W x + a dW_local x + (1 - a) stopgrad(dW_global"
                  + " x)",
              v -> (double) v > 0 && (double) v <= 1,
              "in (0, 1]")
          .key(
              "local_share",
              Type.DOUBLE,
              0.5,
              "FedDPA-T: the fraction of a round's client.local_steps the local phase takes; the"
                  + " global phase takes the rest",
              v -> (double) v > 0 && (double) v < 1,
              "in (0, 1)")
          .key(
              "finetune_epochs",
              Type.DOUBLE,
              1.0,
              "FedDPA-F: epochs over the client's training data the local adapter (a copy of the"
                  + " global one) is fine-tuned for before the client evaluates",
              v -> (double) v >= 0 && Double.isFinite((double) v),
              ">= 0")
          .key(
              "instances",
              Type.INT,
              5,
              "k: training examples a client keeps (seeded) as anchors for the instance weight"
                  + " (all of them if it has fewer); k x hidden size must fit one Java array,"
                  + " checked when the adapter is made on the model",
              v -> (int) v >= 1,
              ">= 1")
          .key(
              "max_weight",
              Type.DOUBLE,
              0.5,
              "lambda: instance weight = clamp(lambda * mean cosine similarity of the input to"
                  + " the anchors, 0, 1)",
              v -> (double) v >= 0 && Double.isFinite((double) v),
              ">= 0")
          .key(
              "weight_goes_to",
              Type.STRING,
              "global",
              "which adapter the instance weight multiplies at inference (the other gets 1 -"
                  + " weight): global (the reference code) or local",
              v -> v.equals("global") || v.equals("local"),
              "global or local")
          .key(
              "embedding",
              Type.STRING,
              "local",
              "what embeds inputs and anchors (mean pooling of the last layer): the base model"
                  + " plus the local adapter (the reference code), plus the global adapter, or"
                  + " the base model alone",
              v -> List.of("local", "global", "base").contains(v),
              "local, global or base");

  /** The defaults of {@link #OPTIONS}. */
  public static final FedDpaConfig DEFAULT = fromOptions(Map.of());

  /**
   * Validates every field, naming the one that is wrong. That {@code lora} trains A is an argument
   * check for code that builds a config: a user's options never reach it, as {@link #fromOptions}
   * checks them against {@link #OPTIONS} first, in the method's name, and {@code train_a} is not
   * among them (an unknown option); so its message names the field and no method.
   */
  public FedDpaConfig {
    if (!lora.trainA()) {
      throw new IllegalArgumentException(
          "FedDpaConfig: lora.trainA must be true (FedDPA trains both LoRA factors), got false");
    }
    OPTIONS.require("local_weight", localWeight);
    OPTIONS.require("local_share", localShare);
    OPTIONS.require("finetune_epochs", finetuneEpochs);
    OPTIONS.require("instances", instances);
    OPTIONS.require("max_weight", maxWeight);
    java.util.Objects.requireNonNull(variant, "variant");
    java.util.Objects.requireNonNull(weightGoesTo, "weightGoesTo");
    java.util.Objects.requireNonNull(embedding, "embedding");
  }

  /**
   * Reads the options {@link #OPTIONS} declares; missing ones take its defaults.
   *
   * @throws IllegalArgumentException naming an unknown option or a bad value
   */
  public static FedDpaConfig fromOptions(Map<String, String> options) {
    ConfigValues v = OPTIONS.readOptions(options, "feddpa");
    return new FedDpaConfig(
        LoraOptions.config(options),
        Variant.valueOf(v.getString("variant")),
        v.getDouble("local_weight"),
        v.getDouble("local_share"),
        v.getDouble("finetune_epochs"),
        v.getInt("instances"),
        v.getDouble("max_weight"),
        Target.valueOf(v.getString("weight_goes_to").toUpperCase(Locale.ROOT)),
        Embedding.valueOf(v.getString("embedding").toUpperCase(Locale.ROOT)));
  }

  /** The options that {@link #fromOptions} reads back to this config, every one explicit. */
  public Map<String, String> toOptions() {
    Map<String, String> m = new LinkedHashMap<>(LoraOptions.toOptions(lora));
    m.put("variant", variant.name());
    m.put("local_weight", Double.toString(localWeight));
    m.put("local_share", Double.toString(localShare));
    m.put("finetune_epochs", Double.toString(finetuneEpochs));
    m.put("instances", Integer.toString(instances));
    m.put("max_weight", Double.toString(maxWeight));
    m.put("weight_goes_to", weightGoesTo.optionValue());
    m.put("embedding", embedding.optionValue());
    return m;
  }
}
