package org.fedpeft.peft.topblocks;

import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterMethod;

/** Registers full fine-tuning of the top k base blocks as adapter method {@code top-blocks}. */
public final class TopBlocksMethod implements AdapterMethod {

  /** The registry name. */
  public static final String NAME = "top-blocks";

  /** The options: {@code blocks}, k. */
  public static final ConfigSchema OPTIONS =
      new ConfigSchema()
          .key(
              "blocks",
              Type.INT,
              2,
              "k, the number of top base blocks whose every weight is fine-tuned (trainable copies"
                  + " replace them; at most the encoder's blocks)",
              v -> (int) v >= 1,
              ">= 1");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "Full fine-tuning of the top k base blocks (every weight of each, as trainable copies"
        + " equal to the base model at init); option blocks";
  }

  @Override
  public ConfigSchema optionSchema() {
    return OPTIONS;
  }

  @Override
  public void validate(Map<String, String> options) {
    blocks(options);
  }

  /** Creates the adapter; the seed is not used, the copies equal the base blocks. */
  @Override
  public Adapter create(Map<String, String> options, BertEncoder encoder, long seed) {
    return new TopBlocksAdapter(blocks(options), encoder);
  }

  /** The option {@code blocks}. */
  static int blocks(Map<String, String> options) {
    ConfigValues v = OPTIONS.readOptions(options, NAME);
    return v.getInt("blocks");
  }
}
