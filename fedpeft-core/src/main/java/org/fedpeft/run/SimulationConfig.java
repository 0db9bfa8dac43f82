package org.fedpeft.run;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.config.ConfigException;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSource;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.config.Toml;
import org.fedpeft.data.DataSection;
import org.fedpeft.federation.AdapterOptionRefusedException;
import org.fedpeft.federation.ServerSection;
import org.fedpeft.federation.StrategyProvider;
import org.fedpeft.federation.StrategyRegistry;
import org.fedpeft.heads.HeadSection;
import org.fedpeft.io.CommandName;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.AdapterMethod;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterSection;
import org.fedpeft.peft.InertOption;
import org.fedpeft.privacy.PrivacySection;
import org.fedpeft.train.Objective;

/**
 * The configuration of a simulated federation: the composition of the config sections that the
 * modules declare ({@link RunSection}, {@link DataSection}, {@link AdapterSection}, {@link
 * ClientSection}, {@link HeadSection}, {@link ServerSection}, {@link PrivacySection}, {@link
 * EvalSection}), read from a TOML file and {@code --set KEY=VALUE} overrides, or from a run
 * folder's config.json. Every key is documented in {@link #SCHEMA}; unknown keys (with the nearest
 * known ones suggested) and bad values are rejected naming the key and the file and line. The
 * accessors below delegate to the sections.
 */
public final class SimulationConfig {

  /** Every key, its type, default and meaning: the sections' schemas in order. */
  public static final ConfigSchema SCHEMA =
      ConfigSchema.concat(
              RunSection.SCHEMA,
              DataSection.SCHEMA,
              AdapterSection.SCHEMA,
              ClientSection.SCHEMA,
              HeadSection.SCHEMA,
              ServerSection.SCHEMA,
              PrivacySection.SCHEMA,
              EvalSection.SCHEMA)
          .unknownKeyHint(
              "every key: " + CommandName.PLACEHOLDER + " simulate --list-keys, or docs/config.md");

  private final Map<String, Object> values;
  private final RunSection run;
  private final DataSection data;
  private final AdapterSection adapter;
  private final ClientSection client;
  private final HeadSection head;
  private final ServerSection server;
  private final PrivacySection privacy;
  private final EvalSection eval;

  /**
   * @param v the resolved values
   * @param restored whether they are a run's saved config ({@link #fromJson}): a run started under
   *     an earlier version is restored as it started, so checks that only refuse settings which
   *     change nothing (budgets no method or strategy reads, inert adapter options, {@code
   *     client.max_grad_norm} under sample-level DP) are not applied again
   */
  private SimulationConfig(ConfigValues v, boolean restored) {
    try {
      this.run = RunSection.from(v);
      this.data = DataSection.from(v);
      this.adapter = AdapterSection.from(v);
      this.client = ClientSection.from(v);
      this.head = HeadSection.from(v);
      this.server = ServerSection.from(v);
      this.privacy = PrivacySection.from(v);
      this.eval = EvalSection.from(v);
    } catch (ConfigException e) {
      throw v.locate(e); // a section's check across its keys: say where their values came from
    }
    // The adapter options as the method reads them (lists '+'-joined), so config.json holds them.
    Map<String, Object> all = new TreeMap<>(v.values());
    all.keySet().removeIf(k -> k.startsWith("adapter.") && !k.equals("adapter.method"));
    adapter.options().forEach((k, o) -> all.put("adapter." + k, o));
    // The server learning rate used (the optimiser's default when not set), so config.json, the
    // manifest and a resumed run hold the value the run used.
    all.put("server.learning_rate", server.learningRate());
    this.values = Collections.unmodifiableMap(all);
    requireStrategyRunsAdapter(v);
    if (!restored && !adapter.method().equals(AdapterSection.NONE)) {
      refuseInertOptions(v);
    }
    if (server.minClients() > run.clientsPerRound()) {
      throw v.error(
          List.of("server.min_clients", "clients_per_round"),
          "server.min_clients ("
              + server.minClients()
              + ") exceeds clients_per_round ("
              + run.clientsPerRound()
              + ")");
    }
    if (privacy.mode().equals("client") && run.poissonSampling() && server.minClients() > 1) {
      // ClientLevelDp.releasesEveryRound: any quorum would make whether a round is released depend
      // on whether a given client was drawn, which the accountant's q = m / N does not cover.
      throw v.error(
          List.of("server.min_clients", "client_sampling", "privacy.mode"),
          "server.min_clients ("
              + server.minClients()
              + ") must be 1 with privacy.mode = \"client\" and client_sampling = \"poisson\":"
              + " every round then releases a noisy update and is charged, however many clients"
              + " are drawn or reply (none included), as the accounting with q = clients_per_round"
              + " / clients assumes, so no minimum of clients can apply (use client_sampling ="
              + " \"fixed\" to keep a minimum)");
    }
    // auto is refused too, on every machine: it picks bf16 on some CPUs, and a config should not
    // be valid on one machine and fail on another after its first round.
    if (server.strategy().equals("fedex-lora") && !run.precision().equals("fp32")) {
      throw v.error(
          List.of("model.precision", "server.strategy"),
          "model.precision = \""
              + run.precision()
              + "\" cannot run server.strategy = \"fedex-lora\": its residuals are added to the"
              + " frozen weights in place, which a bfloat16 base holds inside libtorch where they"
              + " cannot be changed"
              + (run.precision().equals("auto") ? " (auto picks bfloat16 on some CPUs)" : "")
              + " (use model.precision = \"fp32\")");
    }
    if (privacy.mode().equals("sample") && client.proximalMu() > 0) {
      throw v.error(
          List.of("client.proximal_mu", "privacy.mode"),
          "client.proximal_mu ("
              + client.proximalMu()
              + ") must be 0 with privacy.mode = \"sample\": DP-SGD has no FedProx term");
    }
    if (privacy.mode().equals("sample") && !restored && v.origins().containsKey(MAX_GRAD_NORM)) {
      refuseMaxGradNormUnderSampleDp(v);
    }
    if (privacy.mode().equals("sample") && !adapter.method().equals(AdapterSection.NONE)) {
      AdapterMethod method = AdapterRegistry.get(adapter.method());
      refuseUnderSampleDp(
          v,
          method,
          method.trainsOutsideRounds(adapter.options()),
          "trains on each client's data outside the rounds (before the client evaluates),"
              + " which privacy.mode = \"sample\" does not account for: its accountant counts"
              + " the rounds' DP-SGD steps only");
      refuseUnderSampleDp(
          v,
          method,
          method.probesDataOutsideTraining(adapter.options()),
          "computes gradients on each client's data without noise to decide what the"
              + " client trains and sends, which privacy.mode = \"sample\" does not account for:"
              + " its accountant counts the DP-SGD steps only");
    }
    if (!adapter.method().equals(AdapterSection.NONE)) {
      // Also for a saved config: such a run fails in its second round whatever happens.
      AdapterMethod.MinLocalSteps min =
          AdapterRegistry.get(adapter.method()).minLocalSteps(adapter.options());
      if (min != null && client.localSteps() < min.steps()) {
        throw v.error(
            List.of("client.local_steps", "adapter.method"),
            "client.local_steps = "
                + client.localSteps()
                + " is too few for adapter.method = \""
                + adapter.method()
                + "\": "
                + min.reason()
                + "; give client.local_steps >= "
                + min.steps());
      }
    }
    if (Budgets.configured(client.budgets()) && !restored) {
      requireBudgetReader(v);
    }
    if (client.trainingObjective().contrastive()) {
      if (adapter.method().equals("none")) {
        throw v.error(
            List.of("client.objective", "adapter.method"),
            "client.objective = \"contrastive\" trains the adapter only (the head is unused), so"
                + " it needs an adapter.method other than none");
      }
      if (privacy.mode().equals("sample")) {
        throw v.error(
            List.of("client.objective", "privacy.mode"),
            "client.objective = \"contrastive\" cannot run with privacy.mode = \"sample\": with"
                + " in-batch negatives an example's loss depends on the other examples of its"
                + " batch, so clipping each example's gradient does not bound one example's"
                + " influence (use privacy.mode = \"client\")");
      }
    }
  }

  private static final String MAX_GRAD_NORM = "client.max_grad_norm";

  /**
   * Refuses a {@code server.strategy} that cannot run the adapter ({@link
   * StrategyProvider#requireAdapter}: FedEx-LoRA with Ravan, FedBE's strategy with LoRA), here
   * rather than once the model has loaded, naming both keys (and each adapter option set whose
   * value the strategy refuses, as its {@link AdapterOptionRefusedException} lists them), the
   * strategy's reason, and the strategies that do run this adapter and the methods this strategy
   * runs. What needs the model is still checked when the strategy is made.
   */
  private void requireStrategyRunsAdapter(ConfigValues v) {
    String method = adapter.method().equals(AdapterSection.NONE) ? null : adapter.method();
    IllegalArgumentException refusal =
        strategyRefusal(server.strategy(), method, adapter.options());
    if (refusal == null) {
      return;
    }
    String why = refusal.getMessage();
    List<String> keys = new ArrayList<>(List.of("server.strategy", "adapter.method"));
    if (refusal instanceof AdapterOptionRefusedException refused) {
      for (String o : refused.options()) {
        if (adapter.options().containsKey(o)) { // set in the config (not implied by the strategy)
          keys.add("adapter." + o);
        }
      }
    }
    List<String> strategies = new ArrayList<>();
    for (String s : StrategyRegistry.all().keySet()) {
      if (strategyRefusal(s, method, adapter.options()) == null) {
        strategies.add(s);
      }
    }
    List<String> methods = new ArrayList<>();
    for (String m : AdapterRegistry.all().keySet()) {
      if (strategyRefusal(server.strategy(), m, Map.of()) == null) {
        methods.add(m);
      }
    }
    if (strategyRefusal(server.strategy(), null, Map.of()) == null) {
      methods.add(AdapterSection.NONE);
    }
    String methodSetting = "adapter.method = \"" + adapter.method() + "\"";
    throw v.error(
        keys,
        why
            + " (with "
            + methodSetting
            + (adapter.options().isEmpty() ? "" : " and these options")
            + " use server.strategy = "
            + orList(strategies)
            + "; server.strategy = \""
            + server.strategy()
            + "\" runs adapter.method = "
            + orList(methods)
            + ")");
  }

  /** Why {@code strategy} cannot run the adapter, or null if it can. */
  private static IllegalArgumentException strategyRefusal(
      String strategy, String method, Map<String, String> options) {
    try {
      StrategyRegistry.get(strategy)
          .requireAdapter(
              method,
              method == null
                  ? options
                  : StrategyFactory.effectiveAdapterOptions(strategy, method, options));
      return null;
    } catch (IllegalArgumentException e) {
      return e;
    }
  }

  /**
   * Refuses the adapter options {@code names} of {@code method} (when any) under {@code
   * privacy.mode = "sample"}, naming each with its value and {@code privacy.mode}: the method with
   * them {@code does} (what sample-level DP's accountant does not count).
   */
  private void refuseUnderSampleDp(
      ConfigValues v, AdapterMethod method, List<String> names, String does) {
    if (names.isEmpty()) {
      return;
    }
    ConfigValues options = method.optionSchema().readOptions(adapter.options(), method.name());
    List<String> keys = new ArrayList<>();
    List<String> settings = new ArrayList<>();
    for (String o : names) {
      keys.add("adapter." + o);
      settings.add(adapterSetting(o, options.get(o)));
    }
    keys.add("privacy.mode");
    throw v.error(
        keys,
        "adapter.method = \""
            + adapter.method()
            + "\" with "
            + String.join(", ", settings)
            + " "
            + does
            + " (use privacy.mode = \"client\", or change those options)");
  }

  /**
   * Refuses {@code client.max_grad_norm} set (in the file or with {@code --set}, whatever its
   * value) with {@code privacy.mode = "sample"}: DP-SGD clips each example's gradient to {@code
   * privacy.sample.clip_norm} and never the batch's, so the key would change nothing. Its default
   * is accepted, and a run's saved config ({@link #fromJson}), which holds every key, resumes as it
   * started.
   */
  private void refuseMaxGradNormUnderSampleDp(ConfigValues v) {
    throw v.error(
        List.of(MAX_GRAD_NORM, "privacy.mode"),
        MAX_GRAD_NORM
            + " ("
            + client.maxGradNorm()
            + ") does nothing with privacy.mode = \"sample\": DP-SGD clips each example's"
            + " gradient to privacy.sample.clip_norm ("
            + privacy.sampleClipNorm()
            + "), which applies instead, and does not clip the batch's gradient (set"
            + " privacy.sample.clip_norm, and leave client.max_grad_norm out)");
  }

  /**
   * Refuses adapter options set here that change nothing with the others ({@link
   * AdapterMethod#inertOptions(Map, AdapterMethod.Federation)}: softembed's {@code rank} with
   * {@code form = linear}, FedBE's allocation options under a strategy other than fedbe), naming
   * the option, the value that makes it inert and what to do. A new config only: a run's saved
   * config ({@link #fromJson}) holding one resumes as it started.
   */
  private void refuseInertOptions(ConfigValues v) {
    AdapterMethod method = AdapterRegistry.get(adapter.method());
    List<InertOption> inert =
        method.inertOptions(
            adapter.options(),
            new AdapterMethod.Federation(server.strategy(), Budgets.configured(client.budgets())));
    if (!inert.isEmpty()) {
      InertOption first = inert.get(0);
      throw v.error(
          List.of("adapter." + first.option(), first.causeKey()),
          first.configMessage(method, adapter.options()));
    }
  }

  /**
   * Of {@code resolved}, every option of the run's adapter (its method's defaults made explicit),
   * those the adapter reads: the method's own {@link AdapterMethod#inertOptions(Map,
   * AdapterMethod.Federation)} of the resolved options, with this run's strategy and budgets, are
   * left out (FedDPA-F's {@code local_weight} and {@code local_share}, which only FedDPA-T reads;
   * FedDPA-T's {@code finetune_epochs}; softembed's {@code rank} with {@code form = linear}; ...).
   * So summary.json's {@code adapter_options_resolved} lists what the run used, and a config that
   * sets them all is not refused for an inert option. Sorted by name.
   */
  public Map<String, String> adapterOptionsRead(Map<String, String> resolved) {
    Map<String, String> read = new TreeMap<>(resolved);
    for (InertOption o :
        AdapterRegistry.get(adapter.method())
            .inertOptions(
                resolved,
                new AdapterMethod.Federation(
                    server.strategy(), Budgets.configured(client.budgets())))) {
      read.remove(o.option());
    }
    return Collections.unmodifiableMap(read);
  }

  /**
   * Refuses {@code client.budgets} unless the adapter method (with its options) or the strategy
   * reads a client's budget ({@link AdapterMethod#usesBudgets}, {@link
   * StrategyProvider#usesBudgets}): otherwise every client trains as with budget 1 and the run only
   * looks heterogeneous. Names the method and strategy in use and those that read budgets; for a
   * method or strategy that reads them with other adapter options (Ravan with one head, HetLoRA or
   * FlexLoRA with LoRA rank 1, FedBE with one block), the options set that stop it.
   */
  private void requireBudgetReader(ConfigValues v) {
    AdapterMethod method =
        adapter.method().equals(AdapterSection.NONE) ? null : AdapterRegistry.get(adapter.method());
    String methodName = method == null ? null : method.name();
    StrategyProvider strategy = StrategyRegistry.get(server.strategy());
    if ((method != null && method.usesBudgets(adapter.options()))
        || strategy.usesBudgets(methodName, adapter.options())) {
      return;
    }
    List<String> keys = new ArrayList<>(List.of("client.budgets", "adapter.method"));
    String methodSetting = "adapter.method = \"" + adapter.method() + "\"";
    boolean stopped = false; // by adapter options, the method or strategy reading budgets otherwise
    if (method != null && method.usesBudgets(Map.of())) {
      stopped = true;
      // The method reads budgets with its defaults: name the options set that stop it.
      methodSetting += stoppingOptions(method, keys, o -> method.usesBudgets(o));
    }
    keys.add("server.strategy");
    String strategySetting = "server.strategy = \"" + server.strategy() + "\"";
    if (method != null && strategy.usesBudgets(methodName, Map.of())) {
      stopped = true;
      // The strategy reads budgets with this method's defaults (hetlora with LoRA's rank 8,
      // fedbe with 2 blocks): name the adapter options set that stop it.
      strategySetting += stoppingOptions(method, keys, o -> strategy.usesBudgets(methodName, o));
    }
    List<String> methods = new ArrayList<>();
    AdapterRegistry.all()
        .forEach(
            (name, m) -> {
              if (m.usesBudgets(Map.of())) {
                methods.add(name);
              }
            });
    List<String> strategies = new ArrayList<>();
    StrategyRegistry.all()
        .forEach(
            (name, p) -> {
              if (p.usesBudgets()) {
                strategies.add(name);
              }
            });
    throw v.error(
        keys,
        "client.budgets = \""
            + client.budgets()
            + "\" does nothing with "
            + methodSetting
            + " and "
            + strategySetting
            + (stopped
                ? ": with these adapter options a client's budget changes nothing"
                : ": neither reads a client's compute budget")
            + ", so every client would train as with budget 1. Budgets are read by adapter.method"
            + " = "
            + orList(methods)
            + " and by server.strategy = "
            + orList(strategies)
            + (stopped
                ? "; change those options, use another of them, or leave client.budgets out"
                : "; use one of them, or leave client.budgets out"));
  }

  /**
   * An adapter option as a config file sets it: {@code adapter.rank = 1}, {@code adapter.x = "y"}.
   */
  private static String adapterSetting(String option, Object value) {
    return "adapter." + option + " = " + (value instanceof String ? "\"" + value + "\"" : value);
  }

  /**
   * " with adapter.o = value, ..." for each adapter option set here without which {@code reads}
   * holds (the options that stop a method or strategy from reading budgets), each added to {@code
   * keys}; " with the adapter options set here" if no single one does.
   */
  private String stoppingOptions(
      AdapterMethod method,
      List<String> keys,
      java.util.function.Predicate<Map<String, String>> reads) {
    ConfigValues options = method.optionSchema().readOptions(adapter.options(), method.name());
    List<String> stopping = new ArrayList<>();
    for (String o : adapter.options().keySet()) {
      Map<String, String> without = new TreeMap<>(adapter.options());
      without.remove(o);
      if (reads.test(without)) {
        Object value = options.get(o);
        stopping.add(adapterSetting(o, value));
        if (!keys.contains("adapter." + o)) {
          keys.add("adapter." + o);
        }
      }
    }
    return " with "
        + (stopping.isEmpty() ? "the adapter options set here" : String.join(", ", stopping));
  }

  private static String orList(List<String> names) {
    List<String> sorted = names.stream().sorted().toList();
    return sorted.isEmpty()
        ? "(none)"
        : sorted.size() == 1
            ? sorted.get(0)
            : String.join(", ", sorted.subList(0, sorted.size() - 1))
                + " or "
                + sorted.get(sorted.size() - 1);
  }

  /**
   * Reads a TOML file (null: defaults only), its relative paths ({@link #pathKeys}) from its
   * folder, and applies overrides.
   */
  public static SimulationConfig load(Path file, Map<String, String> overrides) throws IOException {
    ConfigSource source =
        file == null
            ? ConfigSource.of("defaults", Map.of())
            : Toml.read(file)
                .withPathsFrom(
                    file.toAbsolutePath().getParent(),
                    pathKeys(),
                    v -> v.equals(PretrainedModel.DEFAULT));
    return new SimulationConfig(SCHEMA.resolve(source, overrides), false);
  }

  /**
   * The keys whose value is a file or folder: {@code model.name} (a bundled model's name aside),
   * the keys {@link #SCHEMA} marks as paths ({@link ConfigSchema#path}: {@code data.file}, ...) and
   * {@code adapter.OPTION} for each option that a registered adapter method's option schema marks
   * so (Ravan's and Fed-SB's {@code factors}). In a config file a relative one is read from the
   * file's folder; given with {@code --set}, from the working directory.
   */
  static List<String> pathKeys() {
    List<String> keys = new ArrayList<>(List.of("model.name"));
    keys.addAll(SCHEMA.paths());
    for (AdapterMethod m : AdapterRegistry.all().values()) {
      for (String option : m.optionSchema().paths()) {
        if (!keys.contains("adapter." + option)) {
          keys.add("adapter." + option);
        }
      }
    }
    return keys;
  }

  /**
   * The keys of this config whose value names a file, which a run records as absolute paths ({@code
   * RunInputs}): those {@link #SCHEMA} marks as paths ({@code data.file}, {@code data.test}, {@code
   * data.corpus}) and {@code adapter.OPTION} for each option that this config's adapter method
   * marks so in its option schema (Ravan's {@code factors}); none of a method {@code none}.
   */
  public List<String> filePathKeys() {
    List<String> keys = new ArrayList<>(SCHEMA.paths());
    if (!adapter.method().equals(AdapterSection.NONE)) {
      for (String option : AdapterRegistry.get(adapter.method()).optionSchema().paths()) {
        keys.add("adapter." + option);
      }
    }
    return keys;
  }

  /** Builds from already-parsed values; {@code source} names them in errors. */
  public static SimulationConfig of(
      Map<String, Object> fileValues, Map<String, String> overrides, String source) {
    return new SimulationConfig(
        SCHEMA.resolve(ConfigSource.of(source, fileValues), overrides), false);
  }

  /**
   * Restores a config saved with {@link #toJson()} (a run folder's config.json). Every value is
   * passed on as text (arrays as lists of text) and typed by the schema as a file's value would be,
   * so a config.json written by an earlier version with the same keys loads to the same values (a
   * test keeps one from 0.1.0). A {@code client.budgets} that no method or strategy reads, an
   * adapter option that changes nothing ({@link AdapterMethod#inertOptions}), or a {@code
   * client.max_grad_norm} with {@code privacy.mode = "sample"} (config.json holds every key, so it
   * always has one), which a new config may not set, is accepted here, so that a run saved before
   * those checks resumes.
   *
   * @throws ConfigException if the values are not a valid config
   * @throws IllegalArgumentException saying what is wrong, without Gson's exception names, if
   *     {@code json} is empty, not strict JSON or has a key twice ({@link JsonFiles#parse}: "not
   *     valid JSON: ...", "duplicate key 'rounds'"), not a JSON object ({@link
   *     JsonFiles#describe}), or has a key whose value is neither a value nor an array of values
   *     ("rounds: not a value but an object", "adapter.factors: not an array of values, it holds an
   *     array")
   */
  public static SimulationConfig fromJson(String json) {
    JsonElement parsed = JsonFiles.parse(json);
    if (!parsed.isJsonObject()) {
      throw new IllegalArgumentException("not a JSON object but " + JsonFiles.describe(parsed));
    }
    Map<String, Object> raw = new LinkedHashMap<>();
    for (var e : parsed.getAsJsonObject().entrySet()) {
      raw.put(e.getKey(), restoredValue(e.getKey(), e.getValue()));
    }
    return new SimulationConfig(
        SCHEMA.resolve(ConfigSource.of("config.json", raw), Map.of()), true);
  }

  /** A config.json value as text, or an array's values as a list of text. */
  private static Object restoredValue(String key, JsonElement v) {
    if (v.isJsonPrimitive()) {
      return v.getAsString();
    }
    if (!v.isJsonArray()) {
      throw new IllegalArgumentException(key + ": not a value but " + JsonFiles.describe(v));
    }
    List<String> values = new ArrayList<>();
    for (JsonElement x : v.getAsJsonArray()) {
      if (!x.isJsonPrimitive()) {
        throw new IllegalArgumentException(
            key + ": not an array of values, it holds " + JsonFiles.describe(x));
      }
      values.add(x.getAsString());
    }
    return List.copyOf(values);
  }

  /**
   * Markdown of every key, every registered strategy and every registered adapter method's options
   * (docs/config.md).
   */
  public static String markdown() {
    return SCHEMA.markdown()
        + org.fedpeft.federation.StrategyRegistry.markdown()
        + AdapterSection.methodsMarkdown();
  }

  /**
   * The keys whose resolved value this run does not read, each with the reason (such as {@code
   * data.task}: "data.file is set"), in key order: the sections' ({@link DataSection#unusedKeys},
   * {@link PrivacySection#unusedKeys}) and {@code client.max_grad_norm} under sample-level DP (each
   * example's gradient is clipped to {@code privacy.sample.clip_norm} instead). config.json keeps
   * them (resume compares every key); the run's report marks them.
   */
  public Map<String, String> unusedKeys() {
    Map<String, String> unused = new TreeMap<>();
    unused.putAll(data.unusedKeys());
    unused.putAll(privacy.unusedKeys());
    if (privacy.mode().equals("sample")) {
      unused.put(MAX_GRAD_NORM, "privacy.mode = \"sample\" clips to privacy.sample.clip_norm");
    }
    return unused;
  }

  /** Every resolved value as a JSON object (a run folder's config.json, the manifest's config). */
  public String toJson() {
    return new Gson().toJson(values);
  }

  /** All resolved values, sorted by key. */
  public Map<String, Object> values() {
    return values;
  }

  /** Seed, rounds, the client population and the model. */
  public RunSection run() {
    return run;
  }

  /** The {@code data.*} section. */
  public DataSection data() {
    return data;
  }

  /** The {@code adapter.*} section. */
  public AdapterSection adapter() {
    return adapter;
  }

  /** The {@code client.*} section. */
  public ClientSection client() {
    return client;
  }

  /** The {@code server.*} section. */
  public ServerSection server() {
    return server;
  }

  /** The {@code privacy.*} section. */
  public PrivacySection privacy() {
    return privacy;
  }

  /** The {@code head.*} section. */
  public HeadSection head() {
    return head;
  }

  /** The {@code eval.*} section. */
  public EvalSection eval() {
    return eval;
  }

  public long seed() {
    return run.seed();
  }

  public int rounds() {
    return run.rounds();
  }

  public int clients() {
    return run.clients();
  }

  public int clientsPerRound() {
    return run.clientsPerRound();
  }

  /** {@code fixed} or {@code poisson}. */
  public String clientSampling() {
    return run.clientSampling();
  }

  /** True for Poisson client sampling. */
  public boolean poissonSampling() {
    return run.poissonSampling();
  }

  /** Clients that train at once: client.parallel, or (0) the cores; at most clients_per_round. */
  public int parallelClients() {
    return client.parallelClients(run.clientsPerRound());
  }

  /** Intra-op threads per client: client.threads, or (0) cores / parallel clients, at least 1. */
  public int threadsPerClient() {
    return client.threadsPerClient(parallelClients());
  }

  public String task() {
    return data.task();
  }

  public String dataFile() {
    return data.file();
  }

  public String dataTest() {
    return data.test();
  }

  /** {@code data.corpus}: the user's retrieval corpus file, or "". */
  public String dataCorpus() {
    return data.corpus();
  }

  public String partition() {
    return data.partition();
  }

  public int maxTrain() {
    return data.maxTrain();
  }

  public int maxEval() {
    return data.maxEval();
  }

  public double clientHoldout() {
    return data.clientHoldout();
  }

  /**
   * The frozen model ({@code model.name}) and its precision setting ({@code model.precision}), for
   * {@link org.fedpeft.model.PretrainedModel#load(org.fedpeft.model.ModelChoice)}.
   */
  public org.fedpeft.model.ModelChoice model() {
    return run.modelChoice();
  }

  public String adapterMethod() {
    return adapter.method();
  }

  /**
   * The adapter method's options that were set: every {@code adapter.*} key but {@code
   * adapter.method}, as strings (lists '+'-joined). Every option, the method's defaults made
   * explicit, as the run's adapter reads them: {@link
   * org.fedpeft.simulation.Simulation#adapterOptionsInUse()} (summary.json's {@code
   * adapter_options_resolved}, {@link #adapterOptionsRead}).
   */
  public Map<String, String> adapterOptions() {
    return new TreeMap<>(adapter.options());
  }

  public int localSteps() {
    return client.localSteps();
  }

  public int batchSize() {
    return client.batchSize();
  }

  public double learningRate() {
    return client.learningRate();
  }

  /** The head's learning rate, or 0 for {@link #learningRate}. */
  public double headLearningRate() {
    return client.headLearningRate();
  }

  public double weightDecay() {
    return client.weightDecay();
  }

  public double maxGradNorm() {
    return client.maxGradNorm();
  }

  /** {@code client.budgets}: each client's compute budget (see {@link org.fedpeft.run.Budgets}). */
  public String budgets() {
    return client.budgets();
  }

  public double proximalMu() {
    return client.proximalMu();
  }

  /** {@code client.objective} with {@code client.temperature}. */
  public Objective objective() {
    return client.trainingObjective();
  }

  public String strategy() {
    return server.strategy();
  }

  public String serverOptimizer() {
    return server.optimizer();
  }

  public double serverLearningRate() {
    return server.learningRate();
  }

  public double serverMomentum() {
    return server.momentum();
  }

  public double serverBeta1() {
    return server.beta1();
  }

  public double serverBeta2() {
    return server.beta2();
  }

  public double serverTau() {
    return server.tau();
  }

  public String weighting() {
    return server.weighting();
  }

  public int minClients() {
    return server.minClients();
  }

  public double clientTimeoutSeconds() {
    return server.clientTimeoutSeconds();
  }

  public String privacyMode() {
    return privacy.mode();
  }

  public double dpClipNorm() {
    return privacy.clientClipNorm();
  }

  public double dpNoiseMultiplier() {
    return privacy.clientNoiseMultiplier();
  }

  public boolean dpAdaptive() {
    return privacy.clientAdaptive();
  }

  public double dpTargetQuantile() {
    return privacy.clientTargetQuantile();
  }

  public double dpClipLearningRate() {
    return privacy.clientClipLearningRate();
  }

  public double dpCountNoise() {
    return privacy.clientCountNoise();
  }

  public double sampleClipNorm() {
    return privacy.sampleClipNorm();
  }

  public double sampleNoiseMultiplier() {
    return privacy.sampleNoiseMultiplier();
  }

  public double privacyEpsilon() {
    return privacy.epsilon();
  }

  public double privacyDelta() {
    return privacy.delta();
  }

  public String privacyNoise() {
    return privacy.noise();
  }

  public int evalEvery() {
    return eval.every();
  }

  public int evalClients() {
    return eval.clients();
  }

  /** The keys that must not change on resume (everything: a resumed run is the same run). */
  public List<String> keys() {
    return List.copyOf(values.keySet());
  }
}
