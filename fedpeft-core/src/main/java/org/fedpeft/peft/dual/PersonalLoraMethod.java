package org.fedpeft.peft.dual;

import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterMethod;

/**
 * The adapter method of the two partly local LoRA baselines ({@link PersonalLoraAdapter}), whose
 * subclasses fedpeft-core's service file registers: {@code fedlora} ({@link FedLoraMethod}) and
 * {@code fedsa-lora} ({@link FedSaLoraMethod}).
 */
public abstract class PersonalLoraMethod implements AdapterMethod {

  /** LoRA's shape options: rank, alpha, dropout, targets. */
  public static final ConfigSchema OPTIONS = LoraOptions.addTo(new ConfigSchema());

  private final PersonalLoraAdapter.Sharing sharing;

  PersonalLoraMethod(PersonalLoraAdapter.Sharing sharing) {
    this.sharing = sharing;
  }

  @Override
  public String name() {
    return sharing.method();
  }

  @Override
  public ConfigSchema optionSchema() {
    return OPTIONS;
  }

  @Override
  public void validate(Map<String, String> options) {
    OPTIONS.readOptions(options, name());
  }

  /** FedSA-LoRA shares A and keeps B on each client; FedLoRA shares neither. */
  @Override
  public String sharesLoraFactorAlone(Map<String, String> options) {
    return sharing == PersonalLoraAdapter.Sharing.A ? "A" : null;
  }

  @Override
  public Adapter create(Map<String, String> options, BertEncoder encoder, long seed) {
    validate(options);
    return new PersonalLoraAdapter(sharing, LoraOptions.config(options), encoder, seed);
  }
}
