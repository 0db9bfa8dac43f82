package org.fedpeft.peft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;

/**
 * An adapter option that was set but changes nothing, because of another option's value
 * (softembed's {@code rank} with {@code form = linear}), as {@link AdapterMethod#inertOptions}
 * reports it. New configs, {@code train --adapter-options} and {@code info --adapter-options}
 * refuse one with {@link #configMessage} or {@link #commandLineMessage}; a saved adapter or a run's
 * saved config that holds one still loads (their options were accepted when they were made, and
 * some methods save every option).
 *
 * @param option the option set that changes nothing
 * @param cause the option whose value makes it inert, or (holding a '.') the config key outside the
 *     adapter section whose value does ({@code server.strategy}, {@link
 *     AdapterMethod#inertOptions(Map, AdapterMethod.Federation)}), a string
 * @param causeValue that option's or key's value (as set, or its default)
 * @param reason why, a phrase: {@code "the linear form has no inner width"}
 * @param reading the values of {@code cause} under which {@code option} is read (one starting with
 *     '>' is a bound, such as {@code ">= 2"}); not empty
 */
public record InertOption(
    String option, String cause, String causeValue, String reason, List<String> reading) {

  public InertOption {
    reading = List.copyOf(reading);
    if (reading.isEmpty()) {
      throw new IllegalArgumentException(
          "reading: give the values under which " + option + " is read");
    }
  }

  /**
   * The message for a config file or {@code --set}: {@code adapter.rank = 8 does nothing with
   * adapter.form = "linear": ...; give adapter.form = "lowrank" or "mlp", or leave out
   * adapter.rank}.
   */
  public String configMessage(AdapterMethod method, Map<String, String> options) {
    ConfigSchema schema = method.optionSchema();
    List<String> values = new ArrayList<>();
    reading.forEach(r -> values.add(r.startsWith(">") ? r : configValue(schema, cause, r)));
    return "adapter."
        + option
        + " = "
        + configValue(schema, option, options.get(option))
        + " does nothing with adapter.method = \""
        + method.name()
        + "\" and "
        + causeKey()
        + " = "
        + configValue(schema, cause, causeValue)
        + ": "
        + reason
        + "; give "
        + causeKey()
        + (reading.get(0).startsWith(">") ? " " : " = ")
        + String.join(" or ", values)
        + ", or leave out adapter."
        + option;
  }

  /**
   * The message for {@code --adapter-options}: {@code --adapter-options rank=8 does nothing with
   * --adapter softembed and form=linear: ...; give form=lowrank or form=mlp, or leave out rank}.
   */
  public String commandLineMessage(AdapterMethod method, Map<String, String> options) {
    List<String> values = new ArrayList<>();
    reading.forEach(r -> values.add(cause + (r.startsWith(">") ? " " : "=") + r));
    return "--adapter-options "
        + option
        + "="
        + options.get(option)
        + " does nothing with --adapter "
        + method.name()
        + " and "
        + cause
        + "="
        + causeValue
        + ": "
        + reason
        + "; give "
        + String.join(" or ", values)
        + ", or leave out "
        + option;
  }

  /** The config key of {@link #cause}: {@code adapter.<cause>}, or the key outside the section. */
  public String causeKey() {
    return cause.contains(".") ? cause : "adapter." + cause;
  }

  /** {@code value} as a config file writes it: quoted for a string option or an outside key. */
  private static String configValue(ConfigSchema schema, String option, String value) {
    if (option.contains(".")) {
      return "\"" + value + "\"";
    }
    ConfigSchema.Key k = schema.keys().get(option);
    return k != null && k.type() == ConfigSchema.Type.STRING ? "\"" + value + "\"" : value;
  }
}
