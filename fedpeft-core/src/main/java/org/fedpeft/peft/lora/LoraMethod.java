package org.fedpeft.peft.lora;

import java.util.Map;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.ConfiguredMethod;

/** Registers LoRA as adapter method {@code lora}. */
public final class LoraMethod extends ConfiguredMethod<LoraConfig> {

  /** The method. */
  public LoraMethod() {
    super(
        "lora",
        "LoRA: y = Wx + (alpha/r) B A x on the target modules; options rank, alpha, dropout,"
            + " targets, train_a",
        LoraConfig.OPTIONS,
        LoraConfig::fromOptions);
  }

  @Override
  protected Adapter newAdapter(LoraConfig config, BertEncoder encoder, long seed) {
    return new LoraAdapter(config, encoder, seed);
  }

  /** The scaling alpha / r of the options' LoRA ({@link LoraConfig#scaling}). */
  @Override
  public float loraScaling(Map<String, String> options) {
    return config(options).scaling();
  }

  /**
   * As {@link #create}, without refusing a rank above min(out, in) of a targeted module: PEFT
   * trains and loads such factors, and a Ravan or Fed-SB export has rank heads * rank, which init =
   * normal or shared lets exceed it.
   */
  @Override
  public Adapter createForSaved(Map<String, String> options, BertEncoder encoder, long seed) {
    return LoraAdapter.forSaved(config(options), encoder, seed);
  }
}
