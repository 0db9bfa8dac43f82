package org.fedpeft.peft.dual;

import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterMethod;
import org.fedpeft.peft.InertOption;

/** Registers FedDPA as adapter method {@code feddpa} ({@link FedDpaAdapter}). */
public final class FedDpaMethod implements AdapterMethod {

  /** The registry name. */
  public static final String NAME = "feddpa";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "FedDPA: a GLOBAL LoRA (averaged) and a LOCAL LoRA (never sent) mixed per example by"
        + " similarity to the client's own data; variant T or F";
  }

  @Override
  public ConfigSchema optionSchema() {
    return FedDpaConfig.OPTIONS;
  }

  @Override
  public void validate(Map<String, String> options) {
    FedDpaConfig.fromOptions(options);
  }

  /** FedDPA-F fine-tunes the local adapter before a client evaluates, unless for 0 epochs. */
  @Override
  public List<String> trainsOutsideRounds(Map<String, String> options) {
    FedDpaConfig c = FedDpaConfig.fromOptions(options);
    return c.variant() == FedDpaConfig.Variant.F && c.finetuneEpochs() > 0
        ? List.of("variant", "finetune_epochs")
        : List.of();
  }

  /**
   * FedDPA-T trains each round from the second in two phases (the local adapter, then the global
   * one), one step at least each.
   */
  @Override
  public MinLocalSteps minLocalSteps(Map<String, String> options) {
    return FedDpaConfig.fromOptions(options).variant() == FedDpaConfig.Variant.T
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
    FedDpaConfig c = FedDpaConfig.fromOptions(options);
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
  public Adapter create(Map<String, String> options, BertEncoder encoder, long seed) {
    return new FedDpaAdapter(FedDpaConfig.fromOptions(options), encoder, seed);
  }
}
