package org.fedpeft.peft;

import java.util.Map;
import java.util.function.Function;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.model.BertEncoder;

/**
 * An adapter method whose options parse into one configuration value: the part every registered
 * method shares, in one place. A method passes its registry name, its one-line description, its
 * option schema and the parser of its options; {@link #validate} parses the options and checks the
 * files they name ({@link #checkFiles}), and {@link #create} parses them and builds the adapter
 * from the result with {@link #newAdapter}. The method's other answers ({@link
 * AdapterMethod#inertOptions}, ...) read the same parse through {@link #config}.
 *
 * @param <C> the parsed options, e.g. {@code LoraConfig}
 */
public abstract class ConfiguredMethod<C> implements AdapterMethod {

  private final String name;
  private final String description;
  private final ConfigSchema schema;
  private final Function<Map<String, String>, C> parser;

  /**
   * @param name the registry name
   * @param description the line above the method's options in docs/config.md
   * @param schema the options the method reads
   * @param parser reads options into the configuration, throwing {@link IllegalArgumentException}
   *     naming an unknown or invalid option
   */
  protected ConfiguredMethod(
      String name,
      String description,
      ConfigSchema schema,
      Function<Map<String, String>, C> parser) {
    this.name = name;
    this.description = description;
    this.schema = schema;
    this.parser = parser;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String description() {
    return description;
  }

  @Override
  public final ConfigSchema optionSchema() {
    return schema;
  }

  /**
   * Parses the options ({@link #config}), the parse {@link #create} starts with, and checks the
   * files the result names ({@link #checkFiles}), so validate refuses what create refuses before it
   * builds on the encoder.
   */
  @Override
  public final void validate(Map<String, String> options) {
    checkFiles(config(options));
  }

  /** Parses the options ({@link #config}) and drops the result. */
  @Override
  public final void validateValues(Map<String, String> options) {
    config(options);
  }

  /**
   * Checks, without the encoder, the files a configuration names (Ravan's factors file) with the
   * check {@link #newAdapter} makes of them too, so {@link #validate} refuses with its message what
   * create would refuse. Default: nothing.
   *
   * @throws IllegalArgumentException naming the option and the file
   */
  protected void checkFiles(C config) {}

  /**
   * The options parsed.
   *
   * @throws IllegalArgumentException naming an unknown or invalid option
   */
  protected final C config(Map<String, String> options) {
    return parser.apply(options);
  }

  /** {@link #newAdapter} of the options parsed. */
  @Override
  public final Adapter create(Map<String, String> options, BertEncoder encoder, long seed) {
    return newAdapter(config(options), encoder, seed);
  }

  /**
   * Builds the adapter of a configuration on the encoder, random initial values derived from {@code
   * seed} only ({@link AdapterMethod#create}).
   *
   * @throws IllegalArgumentException if the configuration does not fit the encoder
   */
  protected abstract Adapter newAdapter(C config, BertEncoder encoder, long seed);
}
