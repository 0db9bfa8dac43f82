package org.fedpeft.peft.dual;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.peft.lora.LoraConfig;

/**
 * The LoRA options the methods of this package take over from {@link LoraConfig#OPTIONS}: {@code
 * rank}, {@code alpha}, {@code dropout} and {@code targets}, with LoRA's defaults, checks and
 * meanings. A is always trained, so {@code train_a} is not among them.
 */
final class LoraOptions {

  /** The option names taken over, in order. */
  static final List<String> NAMES = List.of("rank", "alpha", "dropout", "targets");

  private LoraOptions() {}

  /** Adds LoRA's keys of {@link #NAMES} to {@code schema}; returns it. */
  static ConfigSchema addTo(ConfigSchema schema) {
    for (String n : NAMES) {
      ConfigSchema.Key k = LoraConfig.OPTIONS.get(n);
      schema.key(k.name(), k.type(), k.defaultValue(), k.description(), k.check(), k.rule());
    }
    return schema;
  }

  /** The LoRA config of the LoRA options among {@code options} (the others are ignored). */
  static LoraConfig config(Map<String, String> options) {
    Map<String, String> lora = new LinkedHashMap<>();
    for (String n : NAMES) {
      if (options.containsKey(n)) {
        lora.put(n, options.get(n));
      }
    }
    return LoraConfig.fromOptions(lora);
  }

  /** The options of {@link #NAMES} that re-create {@code config}. */
  static Map<String, String> toOptions(LoraConfig config) {
    Map<String, String> all = config.toOptions();
    Map<String, String> out = new LinkedHashMap<>();
    for (String n : NAMES) {
      out.put(n, all.get(n));
    }
    return out;
  }
}
