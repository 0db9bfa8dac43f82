package org.fedpeft.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedpeft.tensor.HostTensor;

/**
 * Reads and writes LoRA adapters in the folder layout of Hugging Face PEFT, so adapters trained
 * here load with {@code PeftModel.from_pretrained(base_model, folder)} and adapters from the Hub
 * load here.
 *
 * <pre>
 * folder/
 *   adapter_config.json          {@link PeftAdapterConfig}, written as PEFT does (sorted, indent 2)
 *   adapter_model.safetensors    tensors under their saved names ({@link #PREFIX} + module path
 *                                + lora_A/lora_B.weight), F32, metadata {"format": "pt"}
 * </pre>
 *
 * <p>This is a plain data layer: tensors are {@link HostTensor}s under PEFT's saved names, with no
 * engine involved. Both files are written atomically (see {@link AtomicFiles}), the weights first
 * and the config last, so a folder whose config is present was written completely at least once.
 *
 * <p>Reading and writing check that every LoRA tensor fits the config: {@code lora_A} has shape
 * {@code [r, in]} and {@code lora_B} {@code [out, r]} (r from {@code rank_pattern} where it matches
 * the module, else {@code r}), each {@code lora_A} has its {@code lora_B} and vice versa, and no
 * saved name still contains an adapter name. On read, problems are reported as {@link
 * PeftFormatException} naming the file, and safetensors problems as {@link
 * SafetensorsFormatException}.
 */
public final class PeftAdapterFiles {

  /** The config file name. */
  public static final String CONFIG_FILE = "adapter_config.json";

  /** What PEFT puts in front of every saved tensor name. */
  public static final String PREFIX = "base_model.model.";

  /** The weights file name. */
  public static final String WEIGHTS_FILE = "adapter_model.safetensors";

  /**
   * The pickle weights file of older PEFT versions, recognised only to explain that it is
   * unsupported.
   */
  public static final String PICKLE_WEIGHTS_FILE = "adapter_model.bin";

  /** The safetensors metadata PEFT writes. */
  public static final Map<String, String> WEIGHTS_METADATA = Map.of("format", "pt");

  /** A LoRA tensor: group 1 is the module, 2 is A or B; linear (".weight") or embedding form. */
  private static final Pattern LORA_TENSOR =
      Pattern.compile("(.+)\\.(?:lora_(A|B)\\.weight|lora_embedding_(A|B))");

  private static final Pattern UNSAVED_NAME =
      Pattern.compile(".*\\.(?:lora_(?:A|B)\\.([^.]+)\\.weight|lora_embedding_(?:A|B)\\.([^.]+))");

  private PeftAdapterFiles() {}

  /**
   * Writes an adapter folder (created if needed; other files in it are left alone).
   *
   * @param dir the folder
   * @param config the config
   * @param tensors the tensors under their saved names
   * @throws IOException if a file cannot be written
   * @throws IllegalArgumentException if a tensor does not fit the config (nothing is written then)
   */
  public static void write(Path dir, PeftAdapterConfig config, Map<String, HostTensor> tensors)
      throws IOException {
    Objects.requireNonNull(dir, "dir");
    validate(config, tensors);
    Files.createDirectories(dir);
    Safetensors.write(dir.resolve(WEIGHTS_FILE), tensors, WEIGHTS_METADATA);
    AtomicFiles.writeString(dir.resolve(CONFIG_FILE), config.toJsonString());
  }

  /**
   * Writes an adapter folder.
   *
   * @param dir the folder
   * @param adapter the config and tensors
   * @throws IOException if a file cannot be written
   */
  public static void write(Path dir, PeftAdapter adapter) throws IOException {
    write(dir, adapter.config(), adapter.tensors());
  }

  /**
   * Reads and validates an adapter folder.
   *
   * @param dir the folder
   * @return the config and the tensors converted to float32, by saved name
   * @throws IOException if a file cannot be read
   * @throws PeftFormatException for a missing file, a bad config or a tensor that does not fit it
   * @throws SafetensorsFormatException if the weights file is not valid safetensors
   */
  public static PeftAdapter read(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    if (!Files.exists(dir)) {
      throw new PeftFormatException(dir, "adapter folder does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw new PeftFormatException(
          dir, "is not a folder (an adapter is a folder with " + CONFIG_FILE + ")");
    }
    Path configFile = dir.resolve(CONFIG_FILE);
    Path weightsFile = dir.resolve(WEIGHTS_FILE);
    if (!Files.isRegularFile(configFile)) {
      throw new PeftFormatException(
          configFile, "missing: an adapter folder needs " + CONFIG_FILE + " and " + WEIGHTS_FILE);
    }
    if (!Files.isRegularFile(weightsFile)) {
      if (Files.isRegularFile(dir.resolve(PICKLE_WEIGHTS_FILE))) {
        throw new PeftFormatException(
            weightsFile,
            "missing; the folder has "
                + PICKLE_WEIGHTS_FILE
                + " (PyTorch pickle), which is not supported: re-save the adapter with"
                + " safe_serialization=True");
      }
      throw new PeftFormatException(
          weightsFile, "missing: an adapter folder needs " + CONFIG_FILE + " and " + WEIGHTS_FILE);
    }

    PeftAdapterConfig config = readConfig(configFile);
    SafetensorsFile weights = Safetensors.read(weightsFile);
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (String name : weights.names()) {
      shapes.put(name, weights.shape(name));
    }
    try {
      check(config, shapes);
    } catch (IllegalArgumentException e) {
      throw new PeftFormatException(weightsFile, e.getMessage(), e);
    }
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    for (String name : weights.names()) {
      if (weights.dtype(name) == SafetensorsDtype.BOOL) {
        throw new PeftFormatException(
            weightsFile, "tensor '" + name + "' has dtype BOOL; adapter tensors must be numeric");
      }
      tensors.put(name, weights.floatTensor(name));
    }
    return new PeftAdapter(config, tensors);
  }

  /**
   * Reads and validates only the config file of an adapter folder (not the folder: a folder given
   * here is refused as missing).
   *
   * @param configFile the adapter_config.json file
   * @return the config
   * @throws IOException if the file cannot be read
   * @throws PeftFormatException if it is missing (or not a regular file), too large ({@link
   *     JsonFiles#MAX_BYTES}), not UTF-8, not JSON, or a field is missing or wrong
   */
  public static PeftAdapterConfig readConfig(Path configFile) throws IOException {
    if (!Files.isRegularFile(configFile)) {
      throw new PeftFormatException(configFile, "missing");
    }
    String text;
    try {
      text = JsonFiles.readUtf8(configFile, JsonFiles.MAX_BYTES);
    } catch (JsonFileException e) {
      throw new PeftFormatException(configFile, e.reason(), e);
    }
    try {
      return PeftAdapterConfig.parse(text);
    } catch (IllegalArgumentException e) {
      throw new PeftFormatException(configFile, e.getMessage(), e);
    }
  }

  /**
   * Checks that tensors fit a config (see the class comment).
   *
   * @param config the config
   * @param tensors the tensors under their saved names
   * @throws IllegalArgumentException naming the first tensor that does not fit
   */
  public static void validate(PeftAdapterConfig config, Map<String, HostTensor> tensors) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(tensors, "tensors");
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException("null tensor name or tensor: " + e.getKey());
      }
      shapes.put(e.getKey(), e.getValue().shape());
    }
    check(config, shapes);
  }

  private static void check(PeftAdapterConfig config, Map<String, long[]> shapes) {
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      String name = e.getKey();
      long[] shape = e.getValue();
      Matcher unsaved = UNSAVED_NAME.matcher(name);
      if (unsaved.matches()) {
        String adapterName = unsaved.group(1) != null ? unsaved.group(1) : unsaved.group(2);
        throw new IllegalArgumentException(
            "tensor '"
                + name
                + "' still contains the adapter name '"
                + adapterName
                + "', which PEFT removes when saving");
      }
      Matcher m = LORA_TENSOR.matcher(name);
      if (!m.matches()) {
        continue;
      }
      boolean embedding = m.group(2) == null;
      boolean isA = "A".equals(embedding ? m.group(3) : m.group(2));
      String modulePath = m.group(1);
      if (modulePath.startsWith(PREFIX)) {
        modulePath = modulePath.substring(PREFIX.length());
      }
      int rank = config.rankFor(modulePath);
      int rankAxis = isA ? 0 : 1;
      if (shape.length != 2 && (embedding || shape.length != 4) || shape[rankAxis] != rank) {
        String role =
            embedding
                ? (isA
                    ? "lora_embedding_A must be [r, num_embeddings]"
                    : "lora_embedding_B must be [embedding_dim, r]")
                : (isA ? "lora_A must be [r, in_features]" : "lora_B must be [out_features, r]");
        throw new IllegalArgumentException(
            "tensor '"
                + name
                + "' has shape "
                + Arrays.toString(shape)
                + ", but "
                + role
                + " with r = "
                + rank
                + (rank == config.r() ? "" : " (from rank_pattern)"));
      }
      String partner =
          embedding
              ? m.group(1) + ".lora_embedding_" + (isA ? "B" : "A")
              : m.group(1) + ".lora_" + (isA ? "B" : "A") + ".weight";
      if (!shapes.containsKey(partner)) {
        throw new IllegalArgumentException(
            "tensor '" + name + "' has no matching '" + partner + "'");
      }
    }
  }
}
