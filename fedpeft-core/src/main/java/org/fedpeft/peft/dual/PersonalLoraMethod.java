package org.fedpeft.peft.dual;

import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.ConfiguredMethod;
import org.fedpeft.peft.lora.LoraConfig;

/**
 * The adapter method of the two partly local LoRA baselines ({@link PersonalLoraAdapter}), whose
 * subclasses fedpeft-core's service file registers: {@code fedlora} ({@link FedLoraMethod}) and
 * {@code fedsa-lora} ({@link FedSaLoraMethod}).
 */
public abstract class PersonalLoraMethod extends ConfiguredMethod<LoraConfig> {

  /** LoRA's shape options: rank, alpha, dropout, targets. */
  public static final ConfigSchema OPTIONS = LoraOptions.addTo(new ConfigSchema());

  private final PersonalLoraAdapter.Sharing sharing;

  /**
   * The method of {@code sharing}: its options are checked against {@link #OPTIONS} (errors naming
   * this method) and read into the LoRA config its adapter is made of, by {@link #validate} as by
   * {@link #create}.
   */
  PersonalLoraMethod(PersonalLoraAdapter.Sharing sharing, String description) {
    super(
        sharing.method(),
        description,
        OPTIONS,
        options -> {
          OPTIONS.readOptions(options, sharing.method());
          return LoraOptions.config(options);
        });
    this.sharing = sharing;
  }

  /** FedSA-LoRA shares A and keeps B on each client; FedLoRA shares neither. */
  @Override
  public String sharesLoraFactorAlone(Map<String, String> options) {
    return sharing == PersonalLoraAdapter.Sharing.A ? "A" : null;
  }

  @Override
  protected Adapter newAdapter(LoraConfig config, BertEncoder encoder, long seed) {
    return new PersonalLoraAdapter(sharing, config, encoder, seed);
  }
}
