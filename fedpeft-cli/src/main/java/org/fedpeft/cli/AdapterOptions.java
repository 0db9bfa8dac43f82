package org.fedpeft.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.config.OptionException;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.Options;
import picocli.CommandLine.Option;

/** The adapter method and its options, shared by commands that build an adapter. */
public final class AdapterOptions {

  @Option(
      names = "--adapter",
      paramLabel = "METHOD",
      defaultValue = "lora",
      completionCandidates = AdapterOptions.Methods.class,
      description =
          "Adapter method: ${COMPLETION-CANDIDATES}, or none for a linear head on the frozen"
              + " encoder (default: ${DEFAULT-VALUE}).")
  String method;

  @Option(
      names = "--adapter-options",
      paramLabel = "K=V,...",
      defaultValue = "",
      description =
          "Options of the method, e.g. rank=8,alpha=16,dropout=0.05,targets=query+value"
              + " (LoRA's defaults). Targets are module-name patterns joined by '+': query, key,"
              + " value, attention.output, ffn.in, ffn.out, all-linear, or a regular expression."
              + " A value holding a comma goes in double quotes, which the shell needs quoted"
              + " too: 'factors=\"/tmp/a,b/f.safetensors\"'. Each key once; not with --adapter"
              + " none.")
  String options;

  /**
   * Refuses {@code --adapter-options} with {@code --adapter none}, which has no adapter for them to
   * configure (they were silently ignored), and options that change nothing with the others ({@link
   * #refuseInertOptions}). Not part of {@link #methodOrNull}, so that a run recorded before these
   * checks still resumes.
   */
  public void refuseOptionsWithoutAdapter() {
    if (method.equals("none") && !options.isBlank()) {
      throw new UserInputException(
          "--adapter-options "
              + options
              + ": --adapter none trains no adapter, so its options do nothing; give an --adapter"
              + " method, or leave out --adapter-options");
    }
    refuseInertOptions();
  }

  /**
   * Refuses options given in {@code --adapter-options} that change nothing with the others ({@link
   * org.fedpeft.peft.AdapterMethod#inertOptions}: softembed's rank with form=linear, FedDPA's
   * finetune_epochs with variant=T, which only info reaches, as train refuses feddpa), naming the
   * option, the value that makes it inert and what to do. Called by {@link
   * #refuseOptionsWithoutAdapter}, so for a new run only, as that is.
   */
  void refuseInertOptions() {
    String m = methodOrNull();
    if (m == null) {
      return;
    }
    org.fedpeft.peft.AdapterMethod method = AdapterRegistry.get(m);
    Map<String, String> given = parsedOptions();
    var inert = method.inertOptions(given);
    if (!inert.isEmpty()) {
      throw new UserInputException(inert.get(0).commandLineMessage(method, given));
    }
  }

  /**
   * Refuses a method that centralised training cannot train as the method means it ({@link
   * org.fedpeft.peft.AdapterMethod#centralisedTrainingRefusal}: FedDPA), naming it with the
   * method's reason. For {@code train}: a new run and a resumed one alike, as either would report
   * and save a model other than the one trained.
   */
  void refuseCentralisedTraining() {
    String m = methodOrNull();
    if (m == null) {
      return;
    }
    String why = AdapterRegistry.get(m).centralisedTrainingRefusal(parsedOptions());
    if (why != null) {
      throw new UserInputException(
          "--adapter "
              + m
              + " cannot be trained centralised (train): "
              + why
              + " with simulate (or server and clients)");
    }
  }

  /**
   * Refuses options given in {@code --adapter-options} that only a federated run reads, as the
   * method's option schema marks them ({@link org.fedpeft.config.ConfigSchema#federatedOnly()}:
   * Ravan's head_selection, FedBE's allocation), naming each with why centralised training does not
   * read it. For {@code train}, and a new run only (a run recorded before this check still
   * resumes).
   */
  void refuseFederatedOnly() {
    String m = methodOrNull();
    if (m == null) {
      return;
    }
    Map<String, String> given = parsedOptions();
    java.util.List<String> named = new java.util.ArrayList<>();
    java.util.List<String> reasons = new java.util.ArrayList<>();
    AdapterRegistry.get(m)
        .optionSchema()
        .federatedOnly()
        .forEach(
            (option, why) -> {
              if (given.containsKey(option)) {
                named.add(option + "=" + given.get(option));
                reasons.add(option + ": " + why);
              }
            });
    if (named.isEmpty()) {
      return;
    }
    boolean one = named.size() == 1;
    throw new UserInputException(
        "--adapter-options "
            + String.join(", ", named)
            + (one ? " does" : " do")
            + " nothing in centralised training with --adapter "
            + m
            + ": only a federated run reads "
            + (one ? "it" : "them")
            + " ("
            + String.join("; ", reasons)
            + "); leave "
            + (one ? "it" : "them")
            + " out, or run the federation with simulate or server");
  }

  /**
   * Null for "none", else the method name, with its options validated; an unknown option and a bad
   * value are named as {@code --adapter-options} writes them ({@link #named}).
   */
  public String methodOrNull() {
    if (method.equals("none")) {
      return null;
    }
    Map<String, String> given = parsedOptions();
    org.fedpeft.config.ConfigSchema schema = AdapterRegistry.get(method).optionSchema();
    for (String name : given.keySet()) {
      String unknown = schema.unknownOption(name);
      if (unknown != null) {
        throw new UserInputException(
            "--adapter-options "
                + name
                + "="
                + given.get(name)
                + ": --adapter "
                + method
                + " has no option '"
                + name
                + "'"
                + unknown);
      }
    }
    try {
      AdapterRegistry.get(method).validate(given);
    } catch (OptionException e) {
      throw named(e);
    }
    return method;
  }

  /**
   * The method's adapter on {@code encoder}; a bad option value found only on the model (a rank
   * above what a module allows, say) is named as {@code --adapter-options} writes it ({@link
   * #named}).
   */
  public Adapter create(BertEncoder encoder, long seed) {
    try {
      return AdapterRegistry.get(method).create(parsedOptions(), encoder, seed);
    } catch (OptionException e) {
      throw named(e);
    }
  }

  /**
   * {@code e} with its option named as the command line writes it: {@code --adapter-options
   * rank=500 is more than ...}, not {@code lora: option 'rank' = 500 ...}.
   */
  static UserInputException named(OptionException e) {
    return new UserInputException(e.messageFor("--adapter-options " + e.option(), "="), e);
  }

  /**
   * The options as {@link #resolvePathsAgainst} resolved them, which {@link #parsedOptions} returns
   * instead of parsing {@link #options}; null before.
   */
  private Map<String, String> resolved;

  /**
   * Resolves against {@code dir} each relative option value that the method's option schema marks
   * as a path ({@link org.fedpeft.config.ConfigSchema#path}: Ravan's and Fed-SB's {@code factors}),
   * as a resumed {@code train} run resolves its data paths against the directory it was started
   * from. The resolved options are kept as a map, not written back into {@link #options}: a ',' of
   * {@code dir} ({@code /tmp/a,b/}) would split the path there. Options that do not parse, or an
   * unknown method, are left for {@link #methodOrNull} to refuse.
   */
  void resolvePathsAgainst(Path dir) {
    if (method.equals("none") || !AdapterRegistry.all().containsKey(method)) {
      return;
    }
    Map<String, String> given;
    try {
      given = Options.parse(options);
    } catch (IllegalArgumentException e) {
      return;
    }
    boolean changed = false;
    for (String name : AdapterRegistry.get(method).optionSchema().paths()) {
      String v = given.get(name);
      if (v != null && !v.isEmpty() && !Path.of(v).isAbsolute()) {
        given.put(name, dir.resolve(v).normalize().toString());
        changed = true;
      }
    }
    if (changed) {
      resolved = given;
    }
  }

  /**
   * The options as a map (a new one each call), as {@link #resolvePathsAgainst} resolved them if it
   * did; a malformed part or a key given twice is an error naming the option.
   */
  public Map<String, String> parsedOptions() {
    if (resolved != null) {
      return new LinkedHashMap<>(resolved);
    }
    try {
      return Options.parse(options);
    } catch (IllegalArgumentException e) {
      throw new UserInputException("--adapter-options: " + e.getMessage(), e);
    }
  }

  /** The registered adapter methods, for --help (so it lists every method there is). */
  static final class Methods implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return org.fedpeft.peft.AdapterRegistry.all().keySet().iterator();
    }
  }
}
