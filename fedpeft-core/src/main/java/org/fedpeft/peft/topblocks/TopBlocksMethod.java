package org.fedpeft.peft.topblocks;

import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.ConfiguredMethod;

/** Registers full fine-tuning of the top k base blocks as adapter method {@code top-blocks}. */
public final class TopBlocksMethod extends ConfiguredMethod<Integer> {

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

  /** The method. */
  public TopBlocksMethod() {
    super(
        NAME,
        "Full fine-tuning of the top k base blocks (every weight of each, as trainable copies"
            + " equal to the base model at init); option blocks",
        OPTIONS,
        TopBlocksMethod::blocks);
  }

  /** Creates the adapter; the seed is not used, the copies equal the base blocks. */
  @Override
  protected Adapter newAdapter(Integer blocks, BertEncoder encoder, long seed) {
    return new TopBlocksAdapter(blocks, encoder);
  }

  /** The option {@code blocks}. */
  static int blocks(Map<String, String> options) {
    ConfigValues v = OPTIONS.readOptions(options, NAME);
    return v.getInt("blocks");
  }
}
