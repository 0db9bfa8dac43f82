package org.fedpeft.peft;

import static org.fedpeft.io.PeftAdapterFiles.PREFIX;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedpeft.io.PeftAdapterFiles;
import org.fedpeft.model.BertWeights;

/**
 * Tensor names of a PEFT LoRA adapter for a BERT-family encoder, as PEFT saves them in {@code
 * adapter_model.safetensors}.
 *
 * <p>PEFT saves the model's module path under {@code base_model.model.}, then {@code lora_A} or
 * {@code lora_B}, then {@code .weight}, with the adapter name ({@code default}) removed:
 *
 * <pre>
 * base_model.model.encoder.layer.3.attention.self.query.lora_A.weight   shape [r, in]
 * base_model.model.encoder.layer.3.attention.self.query.lora_B.weight   shape [out, r]
 * base_model.model.classifier.weight                                     (modules_to_save)
 * </pre>
 *
 * <p>The module keys used here are the names in a BERT layer that {@code target_modules} lists:
 * {@code query}, {@code key}, {@code value} (under {@code attention.self}), {@code
 * attention.output.dense}, {@code intermediate.dense} and {@code output.dense}.
 *
 * <p>The encoder prefix is what sits between {@code base_model.model.} and {@code encoder.layer}:
 * empty for a bare {@code BertModel} (task type FEATURE_EXTRACTION), {@code "bert."} for {@code
 * BertForSequenceClassification} (SEQ_CLS), whose encoder is the {@code bert} submodule.
 */
public final class PeftNames {

  /** {@code lora_A}: the down projection, shape {@code [r, in_features]}. */
  public static final String LORA_A = "lora_A";

  /** {@code lora_B}: the up projection, shape {@code [out_features, r]}. */
  public static final String LORA_B = "lora_B";

  /** The part of a self-attention projection's path that its module key leaves out. */
  private static final String SELF_ATTENTION = "attention.self.";

  /**
   * Module key to module path inside one BERT layer, in layer order: the paths are the encoder's
   * ({@link BertWeights#LINEAR_MODULES}); a self-attention projection's key is its path without
   * {@code attention.self.}, any other module's key is its path.
   */
  private static final Map<String, String> MODULE_PATHS = new LinkedHashMap<>();

  static {
    for (String path : BertWeights.LINEAR_MODULES) {
      String key = path.startsWith(SELF_ATTENTION) ? path.substring(SELF_ATTENTION.length()) : path;
      MODULE_PATHS.put(key, path);
    }
  }

  /** The module keys of a BERT layer, in layer order. */
  public static final List<String> BERT_MODULE_KEYS = List.copyOf(MODULE_PATHS.keySet());

  private static final Pattern PREFIX_SYNTAX =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)*[A-Za-z_][A-Za-z0-9_]*\\.?");

  private static final Pattern LORA_KEY =
      Pattern.compile(
          "base_model\\.model\\.((?:[A-Za-z_][A-Za-z0-9_]*\\.)*?)encoder\\.layer\\."
              + "([0-9]+)\\.(.+)\\.(lora_A|lora_B)\\.weight");

  private static final Pattern WITH_ADAPTER_NAME =
      Pattern.compile(".*\\.(lora_A|lora_B)\\.([^.]+)\\.weight");

  private PeftNames() {}

  /**
   * A parsed LoRA tensor name.
   *
   * @param encoderPrefix what sits between {@link PeftAdapterFiles#PREFIX} and {@code
   *     encoder.layer} ("" or for example "bert.")
   * @param layer the layer index
   * @param module the module key, one of {@link #BERT_MODULE_KEYS}
   * @param part {@link #LORA_A} or {@link #LORA_B}
   */
  public record LoraKey(String encoderPrefix, int layer, String module, String part) {

    /** The saved tensor name this key stands for. */
    public String key() {
      return loraKey(encoderPrefix, layer, module, part);
    }

    /**
     * The module path inside the model, as PEFT matches {@code target_modules} and {@code
     * rank_pattern} against it, for example {@code encoder.layer.3.attention.self.query}.
     */
    public String modulePath() {
      return encoderPrefix + "encoder.layer." + layer + "." + PeftNames.modulePath(module);
    }
  }

  /**
   * The saved name of a LoRA tensor of a bare BERT encoder (encoder prefix "").
   *
   * @param layer the layer index, {@code >= 0}
   * @param module a module key from {@link #BERT_MODULE_KEYS} (a full path such as {@code
   *     attention.self.query} is accepted too)
   * @param part {@link #LORA_A} or {@link #LORA_B}
   * @return for example {@code base_model.model.encoder.layer.0.attention.self.query.lora_A.weight}
   */
  public static String loraKey(int layer, String module, String part) {
    return loraKey("", layer, module, part);
  }

  /**
   * The saved name of a LoRA tensor with an encoder prefix such as {@code "bert."}.
   *
   * @param encoderPrefix "" or dotted identifiers (a missing trailing dot is added)
   * @param layer the layer index, {@code >= 0}
   * @param module a module key from {@link #BERT_MODULE_KEYS} (or its full path)
   * @param part {@link #LORA_A} or {@link #LORA_B}
   * @return the saved tensor name
   */
  public static String loraKey(String encoderPrefix, int layer, String module, String part) {
    String prefix = normalizePrefix(encoderPrefix);
    if (layer < 0) {
      throw new IllegalArgumentException("layer index must be >= 0, got " + layer);
    }
    String path = modulePath(module);
    if (!LORA_A.equals(part) && !LORA_B.equals(part)) {
      throw new IllegalArgumentException(
          "LoRA part must be '" + LORA_A + "' or '" + LORA_B + "', got '" + part + "'");
    }
    return PREFIX + prefix + "encoder.layer." + layer + "." + path + "." + part + ".weight";
  }

  /**
   * Parses a saved LoRA tensor name of a BERT layer.
   *
   * @param key for example {@code
   *     base_model.model.encoder.layer.0.attention.self.query.lora_A.weight}
   * @return its parts
   * @throws IllegalArgumentException naming the key and what was expected, if it is not such a name
   */
  public static LoraKey parseLoraKey(String key) {
    if (key == null) {
      throw new IllegalArgumentException("LoRA tensor name is null");
    }
    Matcher m = LORA_KEY.matcher(key);
    if (!m.matches()) {
      Matcher named = WITH_ADAPTER_NAME.matcher(key);
      if (named.matches()) {
        throw new IllegalArgumentException(
            "not a saved PEFT LoRA tensor name: '"
                + key
                + "' still contains the adapter name '"
                + named.group(2)
                + "', which PEFT removes when saving");
      }
      throw new IllegalArgumentException(
          "not a PEFT LoRA tensor name of a BERT layer: '"
              + key
              + "' (expected "
              + PREFIX
              + "[prefix.]encoder.layer.<i>.<module>.lora_A|lora_B.weight)");
    }
    int layer;
    try {
      layer = Integer.parseInt(m.group(2));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "layer index " + m.group(2) + " in '" + key + "' is too large");
    }
    String module = moduleKey(m.group(3), key);
    return new LoraKey(m.group(1), layer, module, m.group(4));
  }

  /**
   * True if {@code key} parses with {@link #parseLoraKey(String)}.
   *
   * @param key a tensor name
   * @return whether it names a LoRA tensor of a BERT layer
   */
  public static boolean isLoraKey(String key) {
    try {
      parseLoraKey(key);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The path of a module inside a BERT layer.
   *
   * @param module a module key ({@code query}, ..., {@code output.dense}); a full path is returned
   *     unchanged
   * @return for example {@code attention.self.query} for {@code query}
   * @throws IllegalArgumentException for an unknown module
   */
  public static String modulePath(String module) {
    String path = MODULE_PATHS.get(module);
    if (path != null) {
      return path;
    }
    if (MODULE_PATHS.containsValue(module)) {
      return module;
    }
    throw new IllegalArgumentException(
        "unknown BERT module '" + module + "'; expected one of " + BERT_MODULE_KEYS);
  }

  /**
   * The module key for a module path inside a BERT layer (the reverse of {@link
   * #modulePath(String)}).
   *
   * @param path for example {@code attention.self.query}
   * @return for example {@code query}
   * @throws IllegalArgumentException for an unknown path
   */
  public static String moduleKey(String path) {
    return moduleKey(path, null);
  }

  private static String moduleKey(String path, String inKey) {
    for (Map.Entry<String, String> e : MODULE_PATHS.entrySet()) {
      if (e.getValue().equals(path)) {
        return e.getKey();
      }
    }
    throw new IllegalArgumentException(
        "unknown BERT module path '"
            + path
            + "'"
            + (inKey == null ? "" : " in '" + inKey + "'")
            + "; expected one of "
            + MODULE_PATHS.values());
  }

  /**
   * The saved name of a whole-module tensor, such as a classifier head in {@code modules_to_save}.
   *
   * @param name the tensor's name in the model, for example {@code classifier.weight}
   * @return for example {@code base_model.model.classifier.weight}
   */
  public static String savedModuleKey(String name) {
    if (name == null || name.isEmpty() || name.startsWith(".") || name.endsWith(".")) {
      throw new IllegalArgumentException("not a module tensor name: '" + name + "'");
    }
    return PREFIX + name;
  }

  /**
   * The name inside the model of a saved tensor (the reverse of {@link #savedModuleKey(String)}).
   *
   * @param key for example {@code base_model.model.classifier.weight}
   * @return for example {@code classifier.weight}
   * @throws IllegalArgumentException if the key does not start with {@link PeftAdapterFiles#PREFIX}
   */
  public static String stripPrefix(String key) {
    if (key == null || !key.startsWith(PREFIX) || key.length() == PREFIX.length()) {
      throw new IllegalArgumentException(
          "not a saved PEFT tensor name: '" + key + "' (expected it to start with " + PREFIX + ")");
    }
    return key.substring(PREFIX.length());
  }

  private static String normalizePrefix(String encoderPrefix) {
    if (encoderPrefix == null || encoderPrefix.isEmpty()) {
      return "";
    }
    if (!PREFIX_SYNTAX.matcher(encoderPrefix).matches()) {
      throw new IllegalArgumentException(
          "encoder prefix must be dotted identifiers such as 'bert.', got '" + encoderPrefix + "'");
    }
    return encoderPrefix.endsWith(".") ? encoderPrefix : encoderPrefix + ".";
  }
}
