package org.fedpeft.peft;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.config.ConfigException;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.config.NearestKeys;
import org.fedpeft.config.OptionException;

/**
 * Config keys {@code adapter.*}: the adapter method, and its options as {@code adapter.OPTION}. The
 * options are checked against the method's {@link AdapterMethod#optionSchema()}; they are kept as
 * the strings the method reads ({@code rank=8}, lists joined with '+'), so only the options that
 * were set are stored and the method's defaults apply to the rest. With method {@code none} (a
 * linear head on the frozen encoder, no adapter) options are kept unchecked and unused.
 *
 * @param method {@link #NONE} or a registered method's name
 * @param options the method's options that were set, by option name, sorted
 */
public record AdapterSection(String method, Map<String, String> options) {

  /** The method name that means "no adapter". */
  public static final String NONE = "none";

  /** The keys of this section. */
  public static final ConfigSchema SCHEMA =
      new ConfigSchema()
          .key(
              "adapter.method",
              Type.STRING,
              "lora",
              "adapter method: "
                  + String.join(", ", methodNames())
                  + ", or none (only a linear head on the frozen encoder)")
          .open(
              "adapter.",
              "options of the adapter method (tables below), e.g. adapter.rank = 8,"
                  + " adapter.targets = [\"query\", \"value\"]; unused with method none");

  /**
   * Checks that the method is registered (or none) and its options as the method does, files they
   * name aside ({@link AdapterMethod#validateValues}: its schema, then checks across options such
   * as FedBE's one position per block; a run checks the files before it loads the model). A refusal
   * is {@link ConfigException#about} the keys it names, as the config writes them ({@code
   * adapter.positions = 0+x: x is no integer}), or else about every option set.
   */
  public AdapterSection {
    options = Collections.unmodifiableMap(new TreeMap<>(options));
    if (!method.equals(NONE)) {
      AdapterMethod m = lookUp(method);
      try {
        m.validateValues(options);
      } catch (OptionException e) {
        String key = "adapter." + e.option();
        throw ConfigException.about(List.of(key), e.messageFor(key, " = "));
      } catch (ConfigException e) {
        throw e;
      } catch (IllegalArgumentException e) {
        List<String> keys = new ArrayList<>();
        options.keySet().forEach(o -> keys.add("adapter." + o));
        throw ConfigException.about(keys, "adapter.method = \"" + method + "\": " + e.getMessage());
      }
    }
  }

  /**
   * Reads the section from resolved values: the method from {@code adapter.method}, its options
   * from the other {@code adapter.*} keys. A list option given as a string (as {@code --set
   * adapter.targets=query,value} gives it) may separate its items with ',', '+' or ';'; it is
   * stored '+'-separated. Errors name the key and the file and line (or {@code --set}).
   */
  public static AdapterSection from(ConfigValues v) {
    String method = v.getString("adapter.method");
    Map<String, String> raw = new TreeMap<>();
    for (var e : v.values().entrySet()) {
      if (e.getKey().startsWith("adapter.") && !e.getKey().equals("adapter.method")) {
        raw.put(e.getKey().substring("adapter.".length()), (String) e.getValue());
      }
    }
    if (method.equals(NONE)) {
      return new AdapterSection(method, raw);
    }
    if (!AdapterRegistry.all().containsKey(method)) {
      List<String> known = methodNames();
      known.add(NONE);
      String near = NearestKeys.didYouMean(method, known, "\"");
      throw v.error(
          "adapter.method",
          "adapter.method = \""
              + method
              + "\" is not an adapter method"
              + (near.isEmpty() ? " (known: " + String.join(", ", known) + ")" : near));
    }
    ConfigSchema schema = AdapterRegistry.get(method).optionSchema();
    Map<String, String> options = new TreeMap<>();
    for (var e : raw.entrySet()) {
      String name = e.getKey();
      String key = "adapter." + name;
      ConfigSchema.Key k = schema.keys().get(name);
      if (k == null) {
        List<String> known = new ArrayList<>();
        schema.keys().keySet().forEach(o -> known.add("adapter." + o));
        String near = NearestKeys.didYouMean(key, known, "\"");
        throw v.error(
            key,
            "unknown key \""
                + key
                + "\""
                + (near.isEmpty()
                    ? " (options of adapter method "
                        + method
                        + ": "
                        + String.join(", ", known)
                        + ")"
                    : near));
      }
      String value = e.getValue();
      if (k.type() == Type.STRING_LIST) {
        value = String.join("+", ConfigSchema.splitList(value, "[,+;]"));
      }
      try {
        schema.readOption(name, value, key + " (" + method + " option)");
      } catch (IllegalArgumentException bad) {
        throw v.error(key, bad.getMessage());
      }
      options.put(name, value);
    }
    return new AdapterSection(method, options);
  }

  /**
   * Markdown for docs/config.md: how adapter options are written, then each registered method's
   * description and option table, generated from its {@link AdapterMethod#optionSchema()}.
   */
  public static String methodsMarkdown() {
    StringBuilder b =
        new StringBuilder(
            "\n## Adapter method options\n\n"
                + "In a config file an option is `adapter.OPTION` (`OPTION = VALUE` in table"
                + " `[adapter]`; lists as TOML arrays) or `--set adapter.OPTION=VALUE` (lists"
                + " comma-separated or as TOML arrays; any other value whole, commas included:"
                + " `--set adapter.factors=/tmp/a,b/f.safetensors`); `train` and `info` take"
                + " `--adapter-options"
                + " OPTION=VALUE,...` (lists '+'-separated; a value holding a comma in double"
                + " quotes, `factors=\"/tmp/a,b/f.safetensors\"`, the whole option quoted for the"
                + " shell; a double quote anywhere else, or inside a value, is refused, naming its"
                + " character). Options left out take the defaults"
                + " below. An option marked \"federated runs only\" is read by the rounds of"
                + " `simulate` and `server` (how a client's round is split, which blocks or heads a"
                + " client trains); `train` refuses it.\n");
    for (String name : methodNames()) {
      AdapterMethod m = AdapterRegistry.get(name);
      b.append("\n### `")
          .append(name)
          .append("`\n\n")
          .append(m.description())
          .append("\n\n")
          .append(m.optionSchema().markdown("option"));
    }
    return b.toString();
  }

  private static List<String> methodNames() {
    return new ArrayList<>(AdapterRegistry.builtIn().keySet());
  }

  private static AdapterMethod lookUp(String method) {
    try {
      return AdapterRegistry.get(method);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("adapter.method: " + e.getMessage());
    }
  }
}
