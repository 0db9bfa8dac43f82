package org.fedpeft.peft;

import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.model.BertEncoder;

/**
 * A registered adapter method: parses its options and creates adapters on an encoder.
 *
 * <p>Options are flat string key/values (from the command line, a config file or a saved adapter's
 * config), validated with the offending key named. fedpeft's methods extend {@link
 * ConfiguredMethod}, which parses them into one configuration value.
 */
public interface AdapterMethod {

  /** The registry name, e.g. {@code lora}. */
  String name();

  /**
   * One line above the method's options in docs/config.md ({@link AdapterSection#methodsMarkdown},
   * printed by {@code simulate --list-keys}).
   */
  String description();

  /**
   * The options this method reads, each with name, type, default, check and meaning. {@link
   * #validate} and {@link #create} accept these names only; a simulation config checks its {@code
   * adapter.*} keys against them, and docs/config.md lists them.
   */
  ConfigSchema optionSchema();

  /**
   * Checks options without building anything, so a command can reject them before loading data: it
   * refuses every value {@link #create} would refuse for the options alone, a file an option names
   * included (Ravan's {@code factors}: missing, unreadable or not safetensors), with create's
   * message ({@link #create} can still refuse options that do not fit the encoder, such as a rank
   * above a module's size).
   *
   * @throws IllegalArgumentException naming an unknown or invalid option
   */
  void validate(Map<String, String> options);

  /**
   * {@link #validate} without reading any file an option names: the check of a config's {@code
   * adapter.*} keys ({@link AdapterSection}), which also reads a saved run's config (a resume, a
   * report) whether or not such a file is still there; the run checks the files with {@link
   * #validate} before it loads the model. Default: {@link #validate}.
   *
   * @throws IllegalArgumentException naming an unknown or invalid option
   */
  default void validateValues(Map<String, String> options) {
    validate(options);
  }

  /**
   * The options that make a client train on its own data outside a round, in {@link
   * Adapter#personalise} (FedDPA-F's fine-tune before each evaluation), by option name; empty if
   * these options do not. Sample-level DP accounts for the rounds' training steps only, so a config
   * with {@code privacy.mode = "sample"} refuses such options, naming them (a client asked to train
   * there anyway refuses, in {@link ClientContext#train}). Default: none.
   *
   * @param options valid options (those set; absent ones take their defaults)
   */
  default List<String> trainsOutsideRounds(Map<String, String> options) {
    return List.of();
  }

  /**
   * The options that make a client compute, from its own training data and outside DP-SGD's noisy
   * steps, something that decides what it sends (Ravan's {@code head_selection = gradient}: the
   * gradient norms of its heads on one mini-batch pick the heads it trains and uploads), by option
   * name; empty if these options do not. Sample-level DP accounts for the noisy steps only, so a
   * config with {@code privacy.mode = "sample"} refuses such options, naming them (a client under
   * DP-SGD asked to probe gradients anyway refuses, in {@code PeftClient}). Default: none.
   *
   * @param options valid options (those set; absent ones take their defaults)
   */
  default List<String> probesDataOutsideTraining(Map<String, String> options) {
    return List.of();
  }

  /**
   * The options set here that change nothing because of another option's value (softembed's {@code
   * rank} with {@code form = linear}, FedDPA's {@code finetune_epochs} with {@code variant = T}).
   * Only options present in {@code options} count: a default never makes one inert. A new
   * simulation config and the {@code train} and {@code info} commands refuse such options, naming
   * them ({@link InertOption}); adapters are still created from them (a saved adapter, or a run's
   * saved config, made before that check or with every option saved, still loads). Default: none.
   *
   * @param options valid options, those set only (absent ones take their defaults)
   */
  default List<InertOption> inertOptions(Map<String, String> options) {
    return List.of();
  }

  /**
   * The options set here that change nothing in a federated run with these settings outside the
   * adapter section: {@link #inertOptions(Map)}, plus those inert because of the strategy or the
   * budgets (FedBE's {@code allocation}, {@code coverage_decay} and {@code depth_weight} under a
   * strategy other than {@code fedbe}, which alone allocates blocks; Ravan's {@code head_selection}
   * without {@code client.budgets}, as every client then trains every head). Their {@link
   * InertOption#cause} is that config key. A new simulation config refuses them, naming them, and
   * so does {@code info} with its {@code --strategy} (fedavg without it) and whether it was given
   * {@code --budget}; {@code train} reads {@link #inertOptions(Map)}, having no federation.
   * Default: {@link #inertOptions(Map)}.
   *
   * @param options valid options, those set only (absent ones take their defaults)
   * @param federation the run's strategy and whether it sets budgets
   */
  default List<InertOption> inertOptions(Map<String, String> options, Federation federation) {
    return inertOptions(options);
  }

  /**
   * The settings of a federated run, outside the adapter section, that can make an adapter option
   * inert ({@link #inertOptions(Map, Federation)}).
   *
   * @param strategy {@code server.strategy}
   * @param budgets whether {@code client.budgets} is set (else every client has budget 1)
   */
  record Federation(String strategy, boolean budgets) {}

  /**
   * Whether a client of this method, with these options, trains according to its compute budget,
   * the per-client config key {@code budget} that {@code client.budgets} sets (Ravan's heads: a
   * client trains round(budget * heads) of them). A simulation config refuses {@code
   * client.budgets} unless the adapter method or the strategy (its provider's {@code usesBudgets})
   * reads it, as the budgets would change nothing. Default: false.
   *
   * @param options valid options (those set; absent ones take their defaults)
   */
  default boolean usesBudgets(Map<String, String> options) {
    return false;
  }

  /**
   * Why centralised training ({@code fedpeft train}: one model trained on all the data, no rounds)
   * cannot train this method, with these options, as the method means it, for the user; null when
   * it can (the default). A method whose parts or mixing exist only across federated rounds
   * declares it (FedDPA: centralised, its global and local LoRAs train together as their sum, while
   * its inference uses the global one alone until a client's rounds have trained the local one),
   * and {@code train} refuses it with this reason before the run folder is made, rather than
   * evaluate and save a model other than the one it trained.
   *
   * @param options valid options (those set; absent ones take their defaults)
   */
  default String centralisedTrainingRefusal(Map<String, String> options) {
    return null;
  }

  /**
   * Which LoRA factor the adapter, with these options, shares (sends to the server) without the
   * other of its module: {@code "A"} for fedsa-lora, which keeps B on each client; null when it
   * shares both factors of a module or neither (the default). A strategy that aggregates each
   * module's A and B together ({@code fedit}) refuses such an adapter with the config, before the
   * model loads.
   *
   * @param options valid options (those set; absent ones take their defaults)
   */
  default String sharesLoraFactorAlone(Map<String, String> options) {
    return null;
  }

  /**
   * The factor by which an adapter of this method, with these options, scales its update {@code B A
   * x} as one LoRA ({@code lora}: alpha / r, in float32), which {@link AdapterFiles#read} checks a
   * PEFT LoRA folder's scaling against. The default: the options make no such LoRA, refused as
   * invalid options are.
   *
   * @param options the options an earlier fedpeft recorded for the method
   * @throws IllegalArgumentException naming an unknown or invalid option, or saying the method
   *     scales no single LoRA (the default)
   */
  default float loraScaling(Map<String, String> options) {
    throw new IllegalArgumentException(name() + " does not scale one LoRA update B A x");
  }

  /**
   * The fewest local steps a round of a client of this method needs, with these options, and why;
   * null when one step is enough (the default). A round split into training phases ({@link
   * Adapter#phases}) gives each phase at least one step, so a method that trains in several phases
   * needs as many steps; a simulation config refuses a smaller {@code client.local_steps}, naming
   * it with the reason, before any round runs.
   *
   * @param options valid options (those set; absent ones take their defaults)
   */
  default MinLocalSteps minLocalSteps(Map<String, String> options) {
    return null;
  }

  /**
   * A lower bound on a round's local steps ({@link #minLocalSteps}).
   *
   * @param steps the fewest local steps a round needs, above 1
   * @param reason why, for the user: what the round trains in that many phases
   */
  record MinLocalSteps(int steps, String reason) {}

  /**
   * Creates an adapter on the encoder. Random initial values derive from {@code seed} only, so
   * every client and the server build identical frozen parts from the shared run seed.
   *
   * @throws IllegalArgumentException naming an unknown or invalid option
   */
  Adapter create(Map<String, String> options, BertEncoder encoder, long seed);

  /**
   * Creates the adapter that a saved folder's tensors are loaded into ({@link
   * AdapterFiles#instantiate}); by default {@link #create}. A method may accept here a size that
   * {@link #create} refuses only because training it would cost memory and change nothing (LoRA's
   * rank above min(out, in) of a module, which a plain PEFT folder may hold, and a Ravan or Fed-SB
   * export of h r above it): the folder's factors of that size exist already and compute a model.
   *
   * @throws IllegalArgumentException naming an unknown or invalid option
   */
  default Adapter createForSaved(Map<String, String> options, BertEncoder encoder, long seed) {
    return create(options, encoder, seed);
  }
}
