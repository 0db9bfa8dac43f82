package org.fedpeft.peft.softembed;

import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterMethod;

/** Registers soft embeddings as adapter method {@code softembed}. */
public final class SoftEmbedMethod implements AdapterMethod {

  @Override
  public String name() {
    return "softembed";
  }

  @Override
  public String description() {
    return "soft embeddings: e' = e + U e on the token embeddings (U zero at init); options form"
        + " (linear, lowrank, mlp), rank, placement (tokens, embeddings)";
  }

  @Override
  public ConfigSchema optionSchema() {
    return SoftEmbedConfig.OPTIONS;
  }

  @Override
  public void validate(Map<String, String> options) {
    SoftEmbedConfig.fromOptions(options);
  }

  @Override
  public Adapter create(Map<String, String> options, BertEncoder encoder, long seed) {
    return new SoftEmbedAdapter(SoftEmbedConfig.fromOptions(options), encoder, seed);
  }
}
