package org.fedpeft.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The content of a PEFT LoRA {@code adapter_config.json}, as an immutable value.
 *
 * <p>The config is kept as the JSON object itself, so every field read from a file survives a round
 * trip unchanged, including fields this class does not know (newer PEFT versions add some with each
 * release). The fields PEFT writes for LoRA are validated when the config is built and have typed
 * accessors. fedpeft-specific settings (for example for adaptation methods PEFT does not know) go
 * in a JSON object under the key {@value #FEDPEFT_KEY}; it is only written when non-empty, and
 * recent PEFT versions ignore it with a warning.
 *
 * <p>Required: {@code peft_type} (must be {@code "LORA"}), {@code r} (positive integer), {@code
 * lora_alpha} (number) and {@code target_modules} (list of module names, or a regex string). The
 * other known fields are optional but type-checked when present; {@link #builder} fills them with
 * the values PEFT writes by default.
 *
 * <p>Construction errors are {@link IllegalArgumentException}s naming the field; {@link
 * PeftAdapterFiles#read} rethrows them as {@link PeftFormatException} naming the file.
 */
public final class PeftAdapterConfig {

  /** The key holding fedpeft-specific settings. */
  public static final String FEDPEFT_KEY = "fedpeft";

  /** The only supported {@code peft_type}. */
  public static final String LORA = "LORA";

  /** Fields PEFT requires in a LoRA config, checked in this order. */
  public static final List<String> REQUIRED_FIELDS =
      List.of("peft_type", "r", "lora_alpha", "target_modules");

  /** Every top-level key this class interprets; others are carried along untouched. */
  public static final Set<String> KNOWN_FIELDS =
      Collections.unmodifiableSet(
          new TreeSet<>(
              List.of(
                  "peft_type",
                  "task_type",
                  "r",
                  "lora_alpha",
                  "lora_dropout",
                  "target_modules",
                  "bias",
                  "fan_in_fan_out",
                  "inference_mode",
                  "base_model_name_or_path",
                  "modules_to_save",
                  "init_lora_weights",
                  "revision",
                  "layers_to_transform",
                  "layers_pattern",
                  "rank_pattern",
                  "alpha_pattern",
                  "use_rslora",
                  "use_dora",
                  "exclude_modules",
                  FEDPEFT_KEY)));

  private static final Set<String> BIAS_VALUES = Set.of("none", "all", "lora_only");

  private static final Gson PRETTY =
      new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();

  private final JsonObject json;
  private final int r;
  private final double loraAlpha;
  private final double loraDropout;
  private final List<String> targetModules;
  private final String targetModulesRegex;
  private final Map<String, Integer> rankPattern;
  private final Map<String, Double> alphaPattern;
  private final List<Integer> layersToTransform;
  private final List<String> layersPattern;
  private final List<String> modulesToSave;

  private PeftAdapterConfig(JsonObject source) {
    this.json = source.deepCopy();
    for (String field : REQUIRED_FIELDS) {
      if (!json.has(field)) {
        throw new IllegalArgumentException("missing required field '" + field + "'");
      }
    }
    String peftType = string("peft_type", false);
    if (!LORA.equals(peftType)) {
      throw new IllegalArgumentException(
          "field 'peft_type' is '" + peftType + "', but only '" + LORA + "' is supported");
    }
    string("task_type", true);
    this.r = positiveInt("r", json.get("r"));
    this.loraAlpha = number("lora_alpha", json.get("lora_alpha"));
    this.loraDropout = json.has("lora_dropout") ? number("lora_dropout", get("lora_dropout")) : 0;
    if (!(loraDropout >= 0 && loraDropout < 1)) {
      throw new IllegalArgumentException(
          "field 'lora_dropout' must be in [0, 1), got " + json.get("lora_dropout"));
    }
    JsonElement targets = json.get("target_modules");
    if (isString(targets)) {
      this.targetModulesRegex = targets.getAsString();
      this.targetModules = List.of();
      compile("target_modules", targetModulesRegex);
    } else if (targets.isJsonArray()) {
      this.targetModulesRegex = null;
      this.targetModules = stringList("target_modules", targets);
    } else {
      throw new IllegalArgumentException(
          "field 'target_modules' must be a list of module names or a regex string, got "
              + targets);
    }
    String bias = string("bias", true);
    if (bias != null && !BIAS_VALUES.contains(bias)) {
      throw new IllegalArgumentException(
          "field 'bias' must be one of " + new TreeSet<>(BIAS_VALUES) + ", got '" + bias + "'");
    }
    bool("fan_in_fan_out");
    bool("inference_mode");
    bool("use_rslora");
    bool("use_dora");
    string("base_model_name_or_path", true);
    string("revision", true);
    JsonElement init = get("init_lora_weights");
    if (!init.isJsonNull() && !isString(init) && !isBoolean(init)) {
      throw new IllegalArgumentException(
          "field 'init_lora_weights' must be a boolean or a string, got " + init);
    }
    JsonElement save = get("modules_to_save");
    this.modulesToSave = save.isJsonNull() ? List.of() : stringList("modules_to_save", save);
    JsonElement layers = get("layers_to_transform");
    if (layers.isJsonNull()) {
      this.layersToTransform = List.of();
    } else if (layers.isJsonPrimitive() && layers.getAsJsonPrimitive().isNumber()) {
      this.layersToTransform = List.of(nonNegativeInt("layers_to_transform", layers));
    } else if (layers.isJsonArray()) {
      List<Integer> list = new ArrayList<>();
      for (JsonElement e : layers.getAsJsonArray()) {
        list.add(nonNegativeInt("layers_to_transform", e));
      }
      this.layersToTransform = List.copyOf(list);
    } else {
      throw new IllegalArgumentException(
          "field 'layers_to_transform' must be null, an integer or a list of integers, got "
              + layers);
    }
    JsonElement pattern = get("layers_pattern");
    if (pattern.isJsonNull()) {
      this.layersPattern = List.of();
    } else if (isString(pattern)) {
      this.layersPattern = List.of(pattern.getAsString());
    } else {
      this.layersPattern = stringList("layers_pattern", pattern);
    }
    this.rankPattern = Collections.unmodifiableMap(rankMap());
    this.alphaPattern = Collections.unmodifiableMap(alphaMap());
    JsonElement exclude = get("exclude_modules");
    if (isString(exclude)) {
      compile("exclude_modules", exclude.getAsString());
    } else if (!exclude.isJsonNull()) {
      stringList("exclude_modules", exclude);
    }
    JsonElement fedpeft = get(FEDPEFT_KEY);
    if (!fedpeft.isJsonNull() && !fedpeft.isJsonObject()) {
      throw new IllegalArgumentException(
          "field '" + FEDPEFT_KEY + "' must be a JSON object, got " + fedpeft);
    }
  }

  // ---------------------------------------------------------------- construction

  /**
   * A config from a JSON object (copied), validated.
   *
   * @param json the adapter_config.json object
   * @return the config
   * @throws IllegalArgumentException naming the first missing or ill-typed field
   */
  public static PeftAdapterConfig fromJson(JsonObject json) {
    return new PeftAdapterConfig(json);
  }

  /**
   * Parses the text of an adapter_config.json (strict JSON, no repeated key: {@link
   * JsonFiles#parse}).
   *
   * @param text the JSON text
   * @return the config
   * @throws IllegalArgumentException if the text is not a JSON object or a field is wrong
   */
  public static PeftAdapterConfig parse(String text) {
    JsonElement element = JsonFiles.parse(text);
    if (!element.isJsonObject()) {
      throw new IllegalArgumentException("not a JSON object but " + element);
    }
    return new PeftAdapterConfig(element.getAsJsonObject());
  }

  /**
   * A builder for a LoRA config with PEFT's defaults: task_type null, lora_dropout 0.0, bias
   * "none", fan_in_fan_out false, inference_mode true, modules_to_save null, init_lora_weights
   * true, revision, layers_to_transform, layers_pattern and base_model_name_or_path null,
   * rank_pattern and alpha_pattern {}, use_rslora and use_dora false.
   *
   * @param r the rank
   * @param loraAlpha the scaling numerator (scaling = alpha / r)
   * @param targetModules the module names to adapt, for example {@code ["query", "value"]}
   * @return a builder
   */
  public static Builder builder(int r, double loraAlpha, List<String> targetModules) {
    return new Builder(r, loraAlpha, targetModules);
  }

  /**
   * Like {@link #builder(int, double, List)} for a float32 alpha, written as its shortest decimal
   * ({@link JsonOut#decimal}).
   */
  public static Builder builder(int r, float loraAlpha, List<String> targetModules) {
    return new Builder(r, JsonOut.decimal(loraAlpha), targetModules);
  }

  /** A builder starting from this config, unknown fields and {@value #FEDPEFT_KEY} included. */
  public Builder toBuilder() {
    return new Builder(json.deepCopy());
  }

  // ---------------------------------------------------------------- accessors

  /** Always {@code "LORA"}. */
  public String peftType() {
    return LORA;
  }

  /** {@code task_type}, for example FEATURE_EXTRACTION or SEQ_CLS. */
  public Optional<String> taskType() {
    return Optional.ofNullable(stringOrNull("task_type"));
  }

  /** {@code r}, the default rank. */
  public int r() {
    return r;
  }

  /** {@code lora_alpha}, the default scaling numerator. */
  public double loraAlpha() {
    return loraAlpha;
  }

  /** {@code lora_dropout} (0 if absent). */
  public double loraDropout() {
    return loraDropout;
  }

  /** {@code target_modules} in list form; empty when the config uses the regex form. */
  public List<String> targetModules() {
    return targetModules;
  }

  /** {@code target_modules} in regex form (a string, matched against the full module path). */
  public Optional<String> targetModulesRegex() {
    return Optional.ofNullable(targetModulesRegex);
  }

  /** {@code bias} ("none" if absent). */
  public String bias() {
    String bias = stringOrNull("bias");
    return bias == null ? "none" : bias;
  }

  /** {@code fan_in_fan_out} (false if absent). */
  public boolean fanInFanOut() {
    return boolOrFalse("fan_in_fan_out");
  }

  /** {@code inference_mode} (false if absent). */
  public boolean inferenceMode() {
    return boolOrFalse("inference_mode");
  }

  /** {@code base_model_name_or_path}. */
  public Optional<String> baseModelNameOrPath() {
    return Optional.ofNullable(stringOrNull("base_model_name_or_path"));
  }

  /** {@code revision} of the base model. */
  public Optional<String> revision() {
    return Optional.ofNullable(stringOrNull("revision"));
  }

  /** {@code modules_to_save}; empty when null or absent. */
  public List<String> modulesToSave() {
    return modulesToSave;
  }

  /** {@code init_lora_weights} as written: a boolean or a string such as "gaussian"; or null. */
  public JsonElement initLoraWeights() {
    return get("init_lora_weights").deepCopy();
  }

  /** {@code layers_to_transform} (a single integer becomes a one-element list); empty = all. */
  public List<Integer> layersToTransform() {
    return layersToTransform;
  }

  /** {@code layers_pattern} (a single string becomes a one-element list); empty when null. */
  public List<String> layersPattern() {
    return layersPattern;
  }

  /** {@code rank_pattern}: module name pattern to rank, in file order. */
  public Map<String, Integer> rankPattern() {
    return rankPattern;
  }

  /** {@code alpha_pattern}: module name pattern to alpha, in file order. */
  public Map<String, Double> alphaPattern() {
    return alphaPattern;
  }

  /** {@code use_rslora}: scaling is alpha / sqrt(r) instead of alpha / r (false if absent). */
  public boolean useRslora() {
    return boolOrFalse("use_rslora");
  }

  /** {@code use_dora} (false if absent). */
  public boolean useDora() {
    return boolOrFalse("use_dora");
  }

  /** A copy of the {@value #FEDPEFT_KEY} object (empty if absent). */
  public JsonObject fedpeft() {
    JsonElement e = get(FEDPEFT_KEY);
    return e.isJsonObject() ? e.getAsJsonObject().deepCopy() : new JsonObject();
  }

  /** A copy of the fields this class does not interpret (kept for the round trip). */
  public JsonObject unknownFields() {
    JsonObject out = new JsonObject();
    for (Map.Entry<String, JsonElement> e : json.entrySet()) {
      if (!KNOWN_FIELDS.contains(e.getKey())) {
        out.add(e.getKey(), e.getValue().deepCopy());
      }
    }
    return out;
  }

  /** A copy of the whole config object. */
  public JsonObject toJson() {
    return json.deepCopy();
  }

  /**
   * The file text as PEFT writes it ({@code json.dumps(indent=2, sort_keys=True)}): keys sorted at
   * every level, two-space indent, nulls kept.
   */
  public String toJsonString() {
    return PRETTY.toJson(sortedCopy(json));
  }

  // ---------------------------------------------------------------- PEFT semantics

  /**
   * Whether PEFT would put a LoRA layer on the module with this path (relative to the model, for
   * example {@code encoder.layer.0.attention.self.query}), following PEFT's {@code
   * check_target_module_exists}: modules matched by {@code exclude_modules} or lying inside a
   * {@code modules_to_save} module are never targeted; a {@code target_modules} regex must match
   * the whole path; a list entry equal to the whole path targets it (whatever {@code
   * layers_to_transform} says, as in PEFT), and one that is a dot-separated suffix of it targets it
   * when {@code layers_to_transform} is empty or holds the first layer index found with {@code
   * layers_pattern}.
   *
   * @param modulePath the module path
   * @return whether the module is targeted
   */
  public boolean targets(String modulePath) {
    JsonElement exclude = get("exclude_modules");
    if (isString(exclude)) {
      if (compile("exclude_modules", exclude.getAsString()).matcher(modulePath).matches()) {
        return false;
      }
    } else if (exclude.isJsonArray()) {
      for (String e : stringList("exclude_modules", exclude)) {
        if (modulePath.equals(e) || modulePath.endsWith("." + e)) {
          return false;
        }
      }
    }
    for (String m : modulesToSave) {
      if (compile("modules_to_save", "(^|.*\\.)" + m + "($|\\..*)")
          .matcher(modulePath)
          .lookingAt()) {
        return false;
      }
    }
    if (targetModulesRegex != null) {
      return compile("target_modules", targetModulesRegex).matcher(modulePath).matches();
    }
    if (targetModules.contains(modulePath)) {
      return true;
    }
    boolean found = false;
    for (String t : targetModules) {
      if (modulePath.endsWith("." + t)) {
        found = true;
        break;
      }
    }
    if (!found || layersToTransform.isEmpty()) {
      return found;
    }
    Integer index = null;
    if (layersPattern.isEmpty()) {
      index = layerIndex(Pattern.compile(".*?\\.[^.]*\\.(\\d+)\\."), modulePath);
    } else {
      for (String p : layersPattern) {
        index = layerIndex(compile("layers_pattern", ".*?\\." + p + "\\.(\\d+)\\."), modulePath);
        if (index != null) {
          break;
        }
      }
    }
    return index != null && layersToTransform.contains(index);
  }

  /**
   * The rank of the module with this path: the first {@code rank_pattern} key that matches it as
   * PEFT does ({@code re.match(r"(.*\.)?(" + key + ")$", path)}), else {@link #r()}.
   *
   * @param modulePath the module path, for example {@code encoder.layer.0.attention.self.query}
   * @return the rank
   */
  public int rankFor(String modulePath) {
    String key = patternKey(rankPattern.keySet(), "rank_pattern", modulePath);
    return key == null ? r : rankPattern.get(key);
  }

  /**
   * The alpha of the module with this path, from {@code alpha_pattern} as for {@link
   * #rankFor(String)}, else {@link #loraAlpha()}.
   *
   * @param modulePath the module path
   * @return the alpha
   */
  public double alphaFor(String modulePath) {
    String key = patternKey(alphaPattern.keySet(), "alpha_pattern", modulePath);
    return key == null ? loraAlpha : alphaPattern.get(key);
  }

  /**
   * The LoRA scaling of the module: alpha / r, or alpha / sqrt(r) with {@code use_rslora}.
   *
   * @param modulePath the module path
   * @return the factor applied to B·A
   */
  public double scaling(String modulePath) {
    int rank = rankFor(modulePath);
    double alpha = alphaFor(modulePath);
    return useRslora() ? alpha / Math.sqrt(rank) : alpha / rank;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeftAdapterConfig c && json.equals(c.json);
  }

  @Override
  public int hashCode() {
    return json.hashCode();
  }

  @Override
  public String toString() {
    return toJsonString();
  }

  // ---------------------------------------------------------------- builder

  /** Builds a {@link PeftAdapterConfig}; each setter writes the JSON field of the same meaning. */
  public static final class Builder {
    private final JsonObject json;

    private Builder(int r, double loraAlpha, List<String> targetModules) {
      json = new JsonObject();
      json.addProperty("peft_type", LORA);
      json.add("task_type", JsonNull.INSTANCE);
      json.add("base_model_name_or_path", JsonNull.INSTANCE);
      json.add("revision", JsonNull.INSTANCE);
      r(r);
      loraAlpha(loraAlpha);
      loraDropout(0.0);
      targetModules(targetModules);
      json.addProperty("bias", "none");
      json.addProperty("fan_in_fan_out", false);
      json.addProperty("inference_mode", true);
      json.add("modules_to_save", JsonNull.INSTANCE);
      json.addProperty("init_lora_weights", true);
      json.add("layers_to_transform", JsonNull.INSTANCE);
      json.add("layers_pattern", JsonNull.INSTANCE);
      json.add("rank_pattern", new JsonObject());
      json.add("alpha_pattern", new JsonObject());
      json.addProperty("use_rslora", false);
      json.addProperty("use_dora", false);
    }

    private Builder(JsonObject json) {
      this.json = json;
    }

    /** Sets {@code task_type} (null writes JSON null). */
    public Builder taskType(String taskType) {
      return set("task_type", nullableString(taskType));
    }

    /** Sets {@code r}. */
    public Builder r(int r) {
      json.addProperty("r", r);
      return this;
    }

    /** Sets {@code lora_alpha}; an integral value is written as an integer, as PEFT does. */
    public Builder loraAlpha(double loraAlpha) {
      json.add("lora_alpha", numberElement(loraAlpha));
      return this;
    }

    /** Sets {@code lora_dropout}. */
    public Builder loraDropout(double loraDropout) {
      json.addProperty("lora_dropout", loraDropout);
      return this;
    }

    /**
     * Sets {@code lora_dropout} from a float32 value, written as its shortest decimal ({@link
     * JsonOut#decimal}): 0.05, not 0.05000000074505806.
     */
    public Builder loraDropout(float loraDropout) {
      return loraDropout(JsonOut.decimal(loraDropout));
    }

    /** Sets {@code lora_alpha} from a float32 value, written as its shortest decimal. */
    public Builder loraAlpha(float loraAlpha) {
      return loraAlpha(JsonOut.decimal(loraAlpha));
    }

    /** Sets {@code target_modules} to a list of module names. */
    public Builder targetModules(List<String> targetModules) {
      return set("target_modules", stringArray(targetModules));
    }

    /** Sets {@code target_modules} to a regex matched against full module paths. */
    public Builder targetModulesRegex(String regex) {
      return set("target_modules", new JsonPrimitive(regex));
    }

    /** Sets {@code bias}: "none", "all" or "lora_only". */
    public Builder bias(String bias) {
      return set("bias", new JsonPrimitive(bias));
    }

    /** Sets {@code fan_in_fan_out}. */
    public Builder fanInFanOut(boolean value) {
      json.addProperty("fan_in_fan_out", value);
      return this;
    }

    /** Sets {@code inference_mode}. */
    public Builder inferenceMode(boolean value) {
      json.addProperty("inference_mode", value);
      return this;
    }

    /** Sets {@code base_model_name_or_path} (null writes JSON null). */
    public Builder baseModelNameOrPath(String value) {
      return set("base_model_name_or_path", nullableString(value));
    }

    /** Sets {@code revision} (null writes JSON null). */
    public Builder revision(String value) {
      return set("revision", nullableString(value));
    }

    /** Sets {@code modules_to_save}, for example {@code ["classifier"]} (null writes JSON null). */
    public Builder modulesToSave(List<String> modules) {
      return set("modules_to_save", modules == null ? JsonNull.INSTANCE : stringArray(modules));
    }

    /** Sets {@code init_lora_weights} to a boolean. */
    public Builder initLoraWeights(boolean value) {
      json.addProperty("init_lora_weights", value);
      return this;
    }

    /** Sets {@code layers_to_transform} (null writes JSON null: all layers). */
    public Builder layersToTransform(List<Integer> layers) {
      if (layers == null) {
        return set("layers_to_transform", JsonNull.INSTANCE);
      }
      JsonArray array = new JsonArray();
      layers.forEach(array::add);
      return set("layers_to_transform", array);
    }

    /** Sets {@code layers_pattern} (null writes JSON null). */
    public Builder layersPattern(String pattern) {
      return set("layers_pattern", nullableString(pattern));
    }

    /** Sets {@code rank_pattern}, in the map's iteration order. */
    public Builder rankPattern(Map<String, Integer> pattern) {
      JsonObject o = new JsonObject();
      pattern.forEach(o::addProperty);
      return set("rank_pattern", o);
    }

    /** Sets {@code alpha_pattern}, in the map's iteration order. */
    public Builder alphaPattern(Map<String, Double> pattern) {
      JsonObject o = new JsonObject();
      pattern.forEach((k, v) -> o.add(k, numberElement(v)));
      return set("alpha_pattern", o);
    }

    /** Sets {@code use_rslora}. */
    public Builder useRslora(boolean value) {
      json.addProperty("use_rslora", value);
      return this;
    }

    /** Sets {@code use_dora}. */
    public Builder useDora(boolean value) {
      json.addProperty("use_dora", value);
      return this;
    }

    /** Sets the {@value #FEDPEFT_KEY} object (copied); null or empty removes it. */
    public Builder fedpeft(JsonObject extras) {
      if (extras == null || extras.size() == 0) {
        json.remove(FEDPEFT_KEY);
        return this;
      }
      return set(FEDPEFT_KEY, extras);
    }

    /**
     * Sets any top-level field (copied), known or not; null removes it.
     *
     * @param key the field name
     * @param value the JSON value, or null to remove the field
     * @return this builder
     */
    public Builder set(String key, JsonElement value) {
      if (value == null) {
        json.remove(key);
      } else {
        json.add(key, value.deepCopy());
      }
      return this;
    }

    /**
     * Validates and builds.
     *
     * @return the config
     * @throws IllegalArgumentException naming the first wrong field
     */
    public PeftAdapterConfig build() {
      return new PeftAdapterConfig(json);
    }
  }

  // ---------------------------------------------------------------- helpers

  private JsonElement get(String key) {
    JsonElement e = json.get(key);
    return e == null ? JsonNull.INSTANCE : e;
  }

  private String stringOrNull(String key) {
    JsonElement e = get(key);
    return e.isJsonNull() ? null : e.getAsString();
  }

  private boolean boolOrFalse(String key) {
    JsonElement e = get(key);
    return !e.isJsonNull() && e.getAsBoolean();
  }

  private String string(String key, boolean nullable) {
    JsonElement e = get(key);
    if (e.isJsonNull() && nullable) {
      return null;
    }
    if (!isString(e)) {
      throw new IllegalArgumentException(
          "field '" + key + "' must be a string" + (nullable ? " or null" : "") + ", got " + e);
    }
    return e.getAsString();
  }

  private void bool(String key) {
    JsonElement e = get(key);
    if (!e.isJsonNull() && !isBoolean(e)) {
      throw new IllegalArgumentException("field '" + key + "' must be a boolean, got " + e);
    }
  }

  private static boolean isString(JsonElement e) {
    return e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
  }

  private static boolean isBoolean(JsonElement e) {
    return e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean();
  }

  private static double number(String key, JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new IllegalArgumentException("field '" + key + "' must be a number, got " + e);
    }
    double v = e.getAsDouble();
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("field '" + key + "' must be finite, got " + e);
    }
    return v;
  }

  private static int integer(String key, JsonElement e) {
    try {
      return JsonNumbers.of(e).orElseThrow(ArithmeticException::new).intValueExact();
    } catch (ArithmeticException notWhole) {
      throw new IllegalArgumentException("field '" + key + "' must be an integer, got " + e);
    }
  }

  private static int positiveInt(String key, JsonElement e) {
    int v = integer(key, e);
    if (v <= 0) {
      throw new IllegalArgumentException("field '" + key + "' must be positive, got " + v);
    }
    return v;
  }

  private static int nonNegativeInt(String key, JsonElement e) {
    int v = integer(key, e);
    if (v < 0) {
      throw new IllegalArgumentException("field '" + key + "' must not be negative, got " + v);
    }
    return v;
  }

  private static List<String> stringList(String key, JsonElement e) {
    if (!e.isJsonArray()) {
      throw new IllegalArgumentException("field '" + key + "' must be a list of strings, got " + e);
    }
    List<String> out = new ArrayList<>();
    for (JsonElement item : e.getAsJsonArray()) {
      if (!isString(item)) {
        throw new IllegalArgumentException(
            "field '" + key + "' must be a list of strings, but contains " + item);
      }
      out.add(item.getAsString());
    }
    return List.copyOf(out);
  }

  private Map<String, Integer> rankMap() {
    Map<String, Integer> out = new LinkedHashMap<>();
    JsonElement e = get("rank_pattern");
    if (e.isJsonNull()) {
      return out;
    }
    if (!e.isJsonObject()) {
      throw new IllegalArgumentException(
          "field 'rank_pattern' must be an object of pattern to rank, got " + e);
    }
    for (Map.Entry<String, JsonElement> entry : e.getAsJsonObject().entrySet()) {
      out.put(entry.getKey(), positiveInt("rank_pattern." + entry.getKey(), entry.getValue()));
      compile("rank_pattern", "(.*\\.)?(" + entry.getKey() + ")$");
    }
    return out;
  }

  private Map<String, Double> alphaMap() {
    Map<String, Double> out = new LinkedHashMap<>();
    JsonElement e = get("alpha_pattern");
    if (e.isJsonNull()) {
      return out;
    }
    if (!e.isJsonObject()) {
      throw new IllegalArgumentException(
          "field 'alpha_pattern' must be an object of pattern to alpha, got " + e);
    }
    for (Map.Entry<String, JsonElement> entry : e.getAsJsonObject().entrySet()) {
      out.put(entry.getKey(), number("alpha_pattern." + entry.getKey(), entry.getValue()));
      compile("alpha_pattern", "(.*\\.)?(" + entry.getKey() + ")$");
    }
    return out;
  }

  private static String patternKey(Set<String> keys, String field, String modulePath) {
    for (String key : keys) {
      if (compile(field, "(.*\\.)?(" + key + ")$").matcher(modulePath).lookingAt()) {
        return key;
      }
    }
    return null;
  }

  private static Integer layerIndex(Pattern pattern, String modulePath) {
    Matcher m = pattern.matcher(modulePath);
    if (!m.lookingAt()) {
      return null;
    }
    try {
      return Integer.valueOf(m.group(1));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Pattern compile(String field, String regex) {
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "field '" + field + "' has an invalid regular expression: " + e.getDescription(), e);
    }
  }

  private static JsonElement nullableString(String s) {
    return s == null ? JsonNull.INSTANCE : new JsonPrimitive(s);
  }

  private static JsonArray stringArray(List<String> values) {
    if (values == null) {
      throw new IllegalArgumentException("module list is null");
    }
    JsonArray array = new JsonArray();
    values.forEach(array::add);
    return array;
  }

  private static JsonPrimitive numberElement(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 0x1p53) {
      return new JsonPrimitive((long) v);
    }
    return new JsonPrimitive(v);
  }

  private static JsonElement sortedCopy(JsonElement e) {
    if (e.isJsonObject()) {
      JsonObject out = new JsonObject();
      new TreeSet<>(e.getAsJsonObject().keySet())
          .forEach(k -> out.add(k, sortedCopy(e.getAsJsonObject().get(k))));
      return out;
    }
    if (e.isJsonArray()) {
      JsonArray out = new JsonArray();
      e.getAsJsonArray().forEach(item -> out.add(sortedCopy(item)));
      return out;
    }
    return e.deepCopy();
  }
}
