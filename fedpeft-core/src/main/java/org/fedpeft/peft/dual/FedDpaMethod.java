package org.fedpeft.peft.dual;

import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterMethod;

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

  @Override
  public Adapter create(Map<String, String> options, BertEncoder encoder, long seed) {
    return new FedDpaAdapter(FedDpaConfig.fromOptions(options), encoder, seed);
  }
}
