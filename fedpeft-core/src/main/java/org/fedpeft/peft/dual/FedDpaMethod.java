package org.fedpeft.peft.dual;

import java.util.List;
import java.util.Map;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.ConfiguredMethod;
import org.fedpeft.peft.InertOption;
import org.fedpeft.peft.lora.LoraConfig;

/** Registers FedDPA as adapter method {@code feddpa} ({@link FedDpaAdapter}). */
public final class FedDpaMethod extends ConfiguredMethod<FedDpaConfig> {

  /** The registry name. */
  public static final String NAME = "feddpa";

  /** The method. */
  public FedDpaMethod() {
    super(
        NAME,
        "FedDPA: a GLOBAL LoRA (averaged) and a LOCAL LoRA (never sent) mixed per example"
            + " by similarity to the client's own data; variant T or F; federated runs only"
            + " (train refuses it)",
        FedDpaConfig.OPTIONS,
        FedDpaConfig::fromOptions);
  }

  /** FedDPA-F fine-tunes the local adapter before a client evaluates, unless for 0 epochs. */
  @Override
  public List<String> trainsOutsideRounds(Map<String, String> options) {
    FedDpaConfig c = config(options);
    return c.variant() == FedDpaConfig.Variant.F && c.finetuneEpochs() > 0
        ? List.of("variant", "finetune_epochs")
        : List.of();
  }

  /**
   * Always refused: FedDPA's global/local split and its instance weighting exist only across
   * federated rounds. Centralised, the default phase trains both LoRAs together, unweighted (their
   * sum), but inference uses the global one alone until a client's rounds have trained the local
   * one ({@link FedDpaAdapter#localReady}), so the evaluation and the saved adapter would not be
   * the model trained. The sum is a LoRA of rank 2r with alpha doubled (the same scaling alpha /
   * r), which the reason suggests with the options given.
   */
  @Override
  public String centralisedTrainingRefusal(Map<String, String> options) {
    LoraConfig lora = config(options).lora();
    float alpha = 2 * lora.alpha();
    StringBuilder same = new StringBuilder();
    same.append("rank=").append(2 * lora.rank());
    same.append(",alpha=")
        .append(alpha == Math.rint(alpha) ? Long.toString((long) alpha) : Float.toString(alpha));
    for (String o : List.of("dropout", "targets")) {
      if (options.containsKey(o)) {
        same.append(',').append(o).append('=').append(options.get(o));
      }
    }
    return "FedDPA's split into a global and a local adapter, and the instance weight that mixes"
        + " them, exist only across federated rounds; centralised, every step would train the two"
        + " LoRAs together as their sum, while the evaluation and the saved adapter would use the"
        + " global one alone (the local one is mixed in only once a client's rounds have trained"
        + " it), which is not the model trained. That sum is one LoRA of rank 2r: train adapter"
        + " lora with "
        + same
        + " (the same scaling alpha / r), or run FedDPA federated";
  }

  /**
   * FedDPA-T trains each round from the second in two phases (the local adapter, then the global
   * one), one step at least each.
   */
  @Override
  public MinLocalSteps minLocalSteps(Map<String, String> options) {
    return config(options).variant() == FedDpaConfig.Variant.T
        ? new MinLocalSteps(
            2,
            "with adapter.variant = \"T\" every round from the second trains the local adapter and"
                + " then the global one, at least one step each (adapter.variant = \"F\" trains"
                + " in one phase)")
        : null;
  }

  /**
   * {@code finetune_epochs} with variant T (which never fine-tunes before evaluating), {@code
   * local_weight} and {@code local_share} with variant F (which has no local phase).
   */
  @Override
  public List<InertOption> inertOptions(Map<String, String> options) {
    FedDpaConfig c = config(options);
    List<InertOption> inert = new java.util.ArrayList<>();
    String variant = c.variant().name();
    if (c.variant() == FedDpaConfig.Variant.T) {
      if (options.containsKey("finetune_epochs")) {
        inert.add(
            new InertOption(
                "finetune_epochs",
                "variant",
                variant,
                "FedDPA-T trains the local adapter in every round and never fine-tunes it before a"
                    + " client evaluates; finetune_epochs is FedDPA-F's",
                List.of("F")));
      }
    } else {
      for (String o : List.of("local_weight", "local_share")) {
        if (options.containsKey(o)) {
          inert.add(
              new InertOption(
                  o,
                  "variant",
                  variant,
                  "FedDPA-F trains the global adapter alone in the rounds (FedIT) and has no local"
                      + " phase; "
                      + o
                      + " is FedDPA-T's",
                  List.of("T")));
        }
      }
    }
    return inert;
  }

  @Override
  protected Adapter newAdapter(FedDpaConfig config, BertEncoder encoder, long seed) {
    return new FedDpaAdapter(config, encoder, seed);
  }
}
