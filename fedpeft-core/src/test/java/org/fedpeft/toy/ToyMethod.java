package org.fedpeft.toy;

import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterMethod;

/**
 * A method that exists only in the test sources, registered through this module's test {@code
 * META-INF/services} file: the proof that adding a method needs one package and one registration
 * line. It has a tensor of every role (see {@link ToyAdapter}).
 */
public final class ToyMethod implements AdapterMethod {

  static final ConfigSchema OPTIONS =
      new ConfigSchema()
          .key(
              "frozen_scale",
              Type.DOUBLE,
              0.01,
              "standard deviation of the seeded FROZEN_SHARED offset",
              v -> (double) v >= 0,
              ">= 0")
          .key(
              "fail_personalise",
              Type.BOOLEAN,
              false,
              "personalise throws, so that every client evaluation fails (a method's failure the"
                  + " run must make visible)");

  @Override
  public String name() {
    return "toy";
  }

  @Override
  public String description() {
    return "test-only: a GLOBAL, a LOCAL, a ROUND and a FROZEN_SHARED tensor after the embeddings";
  }

  @Override
  public ConfigSchema optionSchema() {
    return OPTIONS;
  }

  @Override
  public void validate(Map<String, String> options) {
    OPTIONS.readOptions(options, "toy");
  }

  @Override
  public Adapter create(Map<String, String> options, BertEncoder encoder, long seed) {
    var o = OPTIONS.readOptions(options, "toy");
    return new ToyAdapter(
        encoder, seed, (float) o.getDouble("frozen_scale"), o.getBoolean("fail_personalise"));
  }
}
