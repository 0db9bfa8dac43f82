package org.fedpeft.peft.lora;

import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterMethod;

/** Registers LoRA as adapter method {@code lora}. */
public final class LoraMethod implements AdapterMethod {

  @Override
  public String name() {
    return "lora";
  }

  @Override
  public String description() {
    return "LoRA: y = Wx + (alpha/r) B A x on the target modules; options rank, alpha, dropout,"
        + " targets, train_a";
  }

  @Override
  public ConfigSchema optionSchema() {
    return LoraConfig.OPTIONS;
  }

  @Override
  public void validate(Map<String, String> options) {
    LoraConfig.fromOptions(options);
  }

  @Override
  public Adapter create(Map<String, String> options, BertEncoder encoder, long seed) {
    return new LoraAdapter(LoraConfig.fromOptions(options), encoder, seed);
  }

  /**
   * As {@link #create}, without refusing a rank above min(out, in) of a targeted module: PEFT
   * trains and loads such factors, and a Ravan or Fed-SB export has rank heads * rank, which init =
   * normal or shared lets exceed it.
   */
  @Override
  public Adapter createForSaved(Map<String, String> options, BertEncoder encoder, long seed) {
    return LoraAdapter.forSaved(LoraConfig.fromOptions(options), encoder, seed);
  }
}
