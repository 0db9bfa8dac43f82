package org.fedpeft.peft.softembed;

import java.util.List;
import java.util.Map;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.ConfiguredMethod;
import org.fedpeft.peft.InertOption;

/** Registers soft embeddings as adapter method {@code softembed}. */
public final class SoftEmbedMethod extends ConfiguredMethod<SoftEmbedConfig> {

  /** The method. */
  public SoftEmbedMethod() {
    super(
        "softembed",
        "soft embeddings: e' = e + U e on the token embeddings (U zero at init); options form"
            + " (linear, lowrank, mlp), rank, placement (tokens, embeddings)",
        SoftEmbedConfig.OPTIONS,
        SoftEmbedConfig::fromOptions);
  }

  /** {@code rank} with {@code form = linear}, which has no inner width. */
  @Override
  public List<InertOption> inertOptions(Map<String, String> options) {
    SoftEmbedConfig c = config(options);
    if (options.containsKey("rank") && c.form().equals("linear")) {
      return List.of(
          new InertOption(
              "rank",
              "form",
              c.form(),
              "rank is the inner width of the lowrank and mlp forms, and the linear form (a full d"
                  + " x d U) has none",
              List.of("lowrank", "mlp")));
    }
    return List.of();
  }

  @Override
  protected Adapter newAdapter(SoftEmbedConfig config, BertEncoder encoder, long seed) {
    return new SoftEmbedAdapter(config, encoder, seed);
  }
}
