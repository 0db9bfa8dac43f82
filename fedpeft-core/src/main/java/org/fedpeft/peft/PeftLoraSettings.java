package org.fedpeft.peft;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.fedpeft.io.PeftAdapterConfig;

/**
 * Which settings of a PEFT LoRA {@code adapter_config.json} fedpeft's LoRA ({@link
 * org.fedpeft.peft.lora.LoraConfig}: one rank r, one alpha, the update {@code (alpha / r) B A x} on
 * each target module) can compute, for {@link AdapterFiles#read} of a folder without {@value
 * AdapterFiles#CONFIG_FILE}. A setting is either honoured, so that the loaded adapter computes what
 * PEFT computes with the folder, or refused, naming the file, the field and what fedpeft loads.
 *
 * <p>Honoured:
 *
 * <ul>
 *   <li>{@code use_rslora}: PEFT scales by alpha / sqrt(r); the adapter gets the alpha whose alpha
 *       / r is that scaling in float32 ({@link #alphaFor}).
 *   <li>{@code rank_pattern}, {@code alpha_pattern}: when they give every module whose factors the
 *       folder holds the same rank and the same alpha, that rank and alpha; else refused.
 *   <li>{@code layers_to_transform}, {@code layers_pattern}, {@code exclude_modules} (and a {@code
 *       target_modules} regular expression): the adapter's targets are the modules whose factors
 *       the folder holds. A factor on a module PEFT would not target with these settings (which
 *       PEFT would not load) is refused ({@link AdapterFiles#read}).
 *   <li>{@code fan_in_fan_out}: PEFT sets it to false for a {@code torch.nn.Linear} module, and
 *       every module of a BERT layer is one, so it changes nothing.
 * </ul>
 *
 * <p>Refused unless at PEFT's default: {@code use_dora}, {@code bias}, {@code modules_to_save},
 * {@code lora_bias}, {@code use_qalora}, {@code layer_replication}, {@code
 * trainable_token_indices}, {@code target_parameters}, {@code alora_invocation_tokens}, the LoRA
 * variants {@code use_bdlora}, {@code arrow_config}, {@code kasa_config} and {@code
 * monteclora_config}, PEFT 0.2's {@code enable_lora}, and an {@code init_lora_weights} that changed
 * the base model's weights (PiSSA, CorDA, OLoRA, LoRA-GA, LoftQ). Factors on an embedding ({@code
 * lora_embedding_A/B}) and any other tensor than {@code lora_A}/{@code lora_B} of an encoder
 * layer's linear module are refused by {@link AdapterFiles#read}.
 *
 * <p>Any value passes in the fields that cannot change what the folder computes: bookkeeping
 * ({@code peft_version}, {@code task_type}, ...), {@code lora_dropout}, and the options of an
 * initialisation, of Megatron's layers or of the backward pass ({@code FORWARD_NEUTRAL}). Every
 * field of PEFT's LoRA up to version 0.20 is interpreted, refused away from its default, or one of
 * these. A field fedpeft does not know (from a later PEFT, say) is refused, naming the file, the
 * field and its value, unless it is absent, null, false, {@code []} or <code>{}</code>: such a
 * field may turn on what fedpeft's LoRA does not compute, as each of the refused ones does, and a
 * warning would let eval report the accuracy of another model than the folder's.
 */
final class PeftLoraSettings {

  private PeftLoraSettings() {}

  /** A setting fedpeft refuses unless {@code isDefault}, why, and the values it loads. */
  private record Refused(
      String field, Predicate<JsonElement> isDefault, String why, String accepted) {}

  private static final Predicate<JsonElement> NULL = e -> e == null || e.isJsonNull();
  private static final Predicate<JsonElement> FALSE =
      NULL.or(e -> e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() && !e.getAsBoolean());
  private static final Predicate<JsonElement> EMPTY =
      NULL.or(
          e ->
              e.isJsonArray() && e.getAsJsonArray().isEmpty()
                  || e.isJsonObject() && e.getAsJsonObject().isEmpty());

  /** The initialisations of {@code init_lora_weights} that leave the base model's weights as is. */
  private static final String SAME_BASE_INITS =
      "true, false, \"gaussian\", \"eva\", \"orthogonal\" or \"mica\"";

  private static final List<Refused> REFUSED =
      List.of(
          new Refused(
              "use_dora",
              FALSE,
              "DoRA rescales each adapted module's output by a trained magnitude vector, which"
                  + " fedpeft's LoRA does not have",
              "false"),
          new Refused(
              "bias",
              NULL.or(e -> e.isJsonPrimitive() && "none".equals(e.getAsString())),
              "PEFT trained biases of the base model with it, which fedpeft keeps frozen",
              "\"none\""),
          new Refused(
              "modules_to_save",
              EMPTY,
              "PEFT trained these modules whole and saves them beside the factors; fedpeft loads"
                  + " LoRA factors only",
              "null or []"),
          new Refused(
              "lora_bias",
              FALSE,
              "lora_B has a trained bias, which fedpeft's LoRA does not have",
              "false"),
          new Refused(
              "use_qalora",
              FALSE,
              "QALoRA pools the input in groups before lora_A, which fedpeft's LoRA does not",
              "false"),
          new Refused(
              "layer_replication",
              EMPTY,
              "PEFT stacks copies of encoder layers, so the adapted model has more layers than the"
                  + " base model",
              "null"),
          new Refused(
              "trainable_token_indices",
              EMPTY,
              "PEFT trained rows of the token embedding, which fedpeft keeps frozen",
              "null"),
          new Refused(
              "target_parameters",
              EMPTY,
              "PEFT put LoRA on parameters rather than on linear modules",
              "null or []"),
          new Refused(
              "alora_invocation_tokens",
              NULL,
              "Activated LoRA applies the factors only from the invocation tokens on",
              "null"),
          new Refused(
              "use_bdlora", NULL, "BD-LoRA is a LoRA variant fedpeft does not compute", "null"),
          new Refused(
              "arrow_config",
              NULL,
              "Arrow routes between several LoRA adapters, which fedpeft does not compute",
              "null"),
          new Refused(
              "kasa_config", NULL, "KaSA is a LoRA variant fedpeft does not compute", "null"),
          new Refused(
              "monteclora_config",
              NULL,
              "MonteCLoRA is a LoRA variant fedpeft does not compute",
              "null"),
          new Refused(
              "init_lora_weights",
              e -> !changesBase(e),
              "this initialisation changed the base model's weights (PiSSA, CorDA, OLoRA and"
                  + " LoRA-GA subtract the initial factors from them, LoftQ quantises them), so the"
                  + " factors belong to that changed model; PEFT saves factors for the original"
                  + " model, with init_lora_weights true, when save_pretrained is given"
                  + " path_initial_model_for_weight_conversion",
              SAME_BASE_INITS),
          new Refused(
              "enable_lora",
              NULL,
              "PEFT 0.2 put LoRA on some of the parts of a fused module's output (MergedLinear),"
                  + " which fedpeft's LoRA does not compute",
              "null"));

  /**
   * Fields of PEFT's {@code LoraConfig} and {@code PeftConfig} (PEFT 0.1 to 0.20, {@code
   * src/peft/tuners/lora/config.py} and {@code src/peft/config.py}) that {@link PeftAdapterConfig}
   * does not interpret and that leave what a loaded folder computes, (alpha / r) B A x on each
   * target module, as it is, whatever their value.
   */
  private static final Set<String> FORWARD_NEUTRAL =
      Set.of(
          // Bookkeeping: which PEFT wrote the file, and how to find the base model's class.
          "auto_mapping",
          "peft_version",
          // How PEFT builds the layer on Megatron's parallel linear modules, which a BERT encoder
          // has none of; the update is LoRA's.
          "megatron_config",
          "megatron_core",
          // Options of an initialisation: the folder holds the trained factors, and an
          // initialisation that changed the base model's weights is refused by init_lora_weights.
          "loftq_config",
          "eva_config",
          "corda_config",
          "lora_ga_config",
          // VeLoRA compresses the activations kept for the backward pass; the forward pass is
          // LoRA's.
          "velora_config",
          // QALoRA's group size, read only when use_qalora (refused) is true.
          "qalora_group_size",
          // Ties adapters of tied modules (an input embedding and an output layer), whose factors
          // fedpeft refuses in adapter_model.safetensors.
          "ensure_weight_tying",
          // Device offloading while computing; PEFT does not save it.
          "runtime_config",
          // PEFT 0.2: merge the factors into the weights in eval mode, which computes the same.
          "merge_weights");

  /**
   * Whether an unknown field's value is one that turns nothing on: null, false, an empty list or an
   * empty object (the value of an option that is off; a sub-configuration PEFT turns on is saved
   * with its fields).
   */
  private static final Predicate<JsonElement> OFF = FALSE.or(EMPTY);

  /** Whether an {@code init_lora_weights} value is one that changes the base model's weights. */
  private static boolean changesBase(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      return false;
    }
    String init = e.getAsString().toLowerCase(Locale.ROOT);
    return init.startsWith("pissa")
        || init.startsWith("corda")
        || init.equals("olora")
        || init.equals("lora_ga")
        || init.equals("loftq");
  }

  /**
   * Refuses a setting of {@code cfg}, read from {@code config}, that would make PEFT compute
   * another function than fedpeft's LoRA with the folder's factors.
   *
   * @throws IllegalArgumentException naming {@code config}, the field, its value, why and the
   *     values fedpeft loads
   */
  static void refuseUncomputable(Path config, PeftAdapterConfig cfg) {
    JsonObject json = cfg.toJson();
    for (Refused r : REFUSED) {
      JsonElement value = json.get(r.field());
      if (!r.isDefault().test(value)) {
        throw refused(config, r.field(), value, r.why(), r.field() + " is " + r.accepted());
      }
    }
    for (Map.Entry<String, JsonElement> e : json.entrySet()) {
      if (!known(e.getKey()) && !OFF.test(e.getValue())) {
        throw refused(
            config,
            e.getKey(),
            e.getValue(),
            "fedpeft does not know this field (PEFT's LoRA has none of this name up to version"
                + " 0.20; a later version may compute more than LoRA's (alpha / r) B A x with it),"
                + " so it cannot tell whether it computes what PEFT computes with the folder",
            "fields it does not know are absent, null, false, [] or {}");
      }
    }
  }

  /**
   * Whether fedpeft knows field {@code field} of {@code adapter_config.json}: {@link
   * PeftAdapterConfig} interprets it, {@link #refuseUncomputable} refuses it away from PEFT's
   * default, or it changes nothing a loaded folder computes.
   */
  static boolean known(String field) {
    return PeftAdapterConfig.KNOWN_FIELDS.contains(field)
        || FORWARD_NEUTRAL.contains(field)
        || REFUSED.stream().anyMatch(r -> r.field().equals(field));
  }

  /** The refusal of field {@code field} of {@code config} at {@code value}. */
  private static IllegalArgumentException refused(
      Path config, String field, JsonElement value, String why, String accepted) {
    return new IllegalArgumentException(
        config
            + ": field \""
            + field
            + "\" is "
            + shortJson(value)
            + ": "
            + why
            + "; fedpeft loads a folder whose "
            + accepted);
  }

  /**
   * Why a tensor of the weights file {@code weights} that is not a LoRA factor of an encoder
   * layer's linear module ({@link PeftNames#parseLoraKey} refused it with {@code notLora}) cannot
   * be loaded.
   */
  static IllegalArgumentException notLoraFactor(Path weights, String tensor, Exception notLora) {
    String why =
        tensor.contains(".lora_embedding_")
            ? "tensor '"
                + tensor
                + "' is LoRA on an embedding (lora_embedding_A/B), which fedpeft does not compute;"
                + " fedpeft loads LoRA on the linear modules of the encoder layers only"
                + " (target_modules such as query, key, value, dense)"
            : notLora.getMessage()
                + "; fedpeft loads a folder whose tensors are all lora_A and lora_B factors of the"
                + " linear modules of the encoder layers (not modules PEFT saved whole, such as a"
                + " classifier, nor biases)";
    return new IllegalArgumentException(weights + ": " + why, notLora);
  }

  /**
   * Refuses a factor on module {@code modulePath} (as PEFT names it, e.g. {@code
   * encoder.layer.0.attention.self.query}) that {@code cfg} does not target: PEFT would create no
   * LoRA layer there and leave the tensor unused.
   */
  static void requireTargeted(Path config, PeftAdapterConfig cfg, String tensor, String path) {
    if (!cfg.targets(path)) {
      throw new IllegalArgumentException(
          config
              + ": the folder holds tensor '"
              + tensor
              + "', but target_modules"
              + (cfg.layersToTransform().isEmpty() ? "" : ", layers_to_transform")
              + (isSet(cfg, "exclude_modules") ? ", exclude_modules" : "")
              + " leave module "
              + path
              + " without LoRA, so PEFT would not load it; fedpeft loads a folder whose factors are"
              + " all on modules its settings target");
    }
  }

  /**
   * The options of fedpeft's LoRA that computes the plain PEFT folder {@code cfg} (read from {@code
   * config}) whose factors are on {@code modules}: PEFT paths (as {@link PeftAdapterConfig#targets}
   * takes them) to fedpeft module names ({@code encoder.layer.N.path}), in file order.
   *
   * @throws IllegalArgumentException naming {@code config} and {@code rank_pattern} or {@code
   *     alpha_pattern} when they give the modules different ranks or alphas
   */
  static Map<String, String> loraOptions(
      Path config, PeftAdapterConfig cfg, Map<String, String> modules) {
    int rank = common(config, cfg, modules.keySet(), "rank_pattern", cfg::rankFor, cfg.r());
    double alpha =
        common(config, cfg, modules.keySet(), "alpha_pattern", cfg::alphaFor, cfg.loraAlpha());
    Map<String, String> options = new LinkedHashMap<>();
    options.put("rank", Integer.toString(rank));
    options.put(
        "alpha",
        cfg.useRslora()
            ? floatText(alphaFor((float) (alpha / Math.sqrt(rank)), rank))
            : Double.toString(alpha));
    options.put("dropout", Double.toString(cfg.loraDropout()));
    boolean narrowed =
        cfg.targetModulesRegex().isPresent()
            || !cfg.layersToTransform().isEmpty()
            || isSet(cfg, "exclude_modules");
    options.put(
        "targets",
        String.join("+", narrowed ? List.copyOf(modules.values()) : cfg.targetModules()));
    return options;
  }

  /**
   * Refuses {@code options}, an earlier fedpeft's {@code fedpeft.options} of LoRA in {@code
   * config}, when their scaling alpha / rank differs from the scaling {@code cfg} gives a module of
   * {@code paths} (its {@code lora_alpha}, {@code alpha_pattern}, {@code rank_pattern} or {@code
   * use_rslora} edited after fedpeft wrote it) by more than float32 rounding of the decimal {@code
   * lora_alpha}. Options that do not make a LoRA are left to {@link AdapterFiles#instantiate}.
   */
  static void requireSameScaling(
      Path config, PeftAdapterConfig cfg, Collection<String> paths, Map<String, String> options) {
    AdapterMethod lora = AdapterRegistry.get("lora");
    float ours;
    try {
      ours = lora.loraScaling(options);
    } catch (IllegalArgumentException notLora) {
      return;
    }
    for (String path : paths) {
      double peft = cfg.scaling(path);
      if (Math.abs(ours - peft) > 1e-5 * Math.abs(peft)) {
        throw new IllegalArgumentException(
            config
                + ": fedpeft.options give the scaling alpha / rank = "
                + ours
                + ", but PEFT scales module "
                + path
                + " by "
                + peft
                + " (lora_alpha "
                + cfg.alphaFor(path)
                + ", r "
                + cfg.rankFor(path)
                + (cfg.useRslora() ? ", use_rslora" : "")
                + "); fedpeft loads a folder whose fedpeft.options and LoRA fields agree");
      }
    }
  }

  /**
   * The value {@code of} gives every module of {@code paths} ({@code otherwise} when there is
   * none), refused naming {@code field} when two modules get different values.
   */
  private static <T> T common(
      Path config,
      PeftAdapterConfig cfg,
      Collection<String> paths,
      String field,
      Function<String, T> of,
      T otherwise) {
    String first = null;
    T value = otherwise;
    for (String path : paths) {
      T v = of.apply(path);
      if (first == null) {
        first = path;
        value = v;
      } else if (!v.equals(value)) {
        String what = field.startsWith("rank") ? "rank" : "alpha";
        throw new IllegalArgumentException(
            config
                + ": field \""
                + field
                + "\" gives module "
                + first
                + " "
                + what
                + " "
                + value
                + " and module "
                + path
                + " "
                + what
                + " "
                + v
                + ": fedpeft's LoRA has one "
                + what
                + " for every module; fedpeft loads a folder whose "
                + field
                + " gives every module whose factors it holds the same "
                + what
                + " (or is {})");
      }
    }
    return value;
  }

  /**
   * The alpha whose float32 scaling {@code alpha / rank} (as {@link
   * org.fedpeft.peft.lora.LoraConfig#scaling} computes it) is {@code scaling}: PEFT's rsLoRA
   * scaling alpha / sqrt(r) as an alpha of fedpeft's LoRA, which scales by alpha / r. Such an alpha
   * exists for most scalings (for every one when the rank is a power of two); for the others,
   * {@code scaling * rank}, whose scaling is within a float32 step of {@code scaling}.
   */
  static float alphaFor(float scaling, int rank) {
    float guess = scaling * rank;
    float down = guess;
    float up = guess;
    for (int step = 0; step < 8; step++) {
      if (up / rank == scaling) {
        return up;
      }
      if (down / rank == scaling) {
        return down;
      }
      up = Math.nextUp(up);
      down = Math.nextDown(down);
    }
    return guess;
  }

  /** A float as text that reads back ({@code (float) Double.parseDouble}) to the same float. */
  private static String floatText(float f) {
    String s = Float.toString(f);
    return (float) Double.parseDouble(s) == f ? s : Double.toString(f);
  }

  /** Whether field {@code key} of {@code cfg} is there and neither null nor empty. */
  private static boolean isSet(PeftAdapterConfig cfg, String key) {
    return !EMPTY.test(cfg.toJson().get(key));
  }

  /**
   * A JSON value as an error message shows it, cut to 60 characters (also {@link AdapterFiles}').
   */
  static String shortJson(JsonElement value) {
    String found = value.toString();
    return found.length() <= 60 ? found : found.substring(0, 57) + "...";
  }
}
