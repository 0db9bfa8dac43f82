package org.fedpeft.peft;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.IOConsumer;
import org.fedpeft.io.JsonNumbers;
import org.fedpeft.io.PeftAdapterConfig;
import org.fedpeft.io.PeftAdapterFiles;
import org.fedpeft.io.PeftFormatException;
import org.fedpeft.io.Safetensors;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.tensor.HostTensor;

/**
 * Saves and loads a trained adapter with its classification head, for every method, in one
 * versioned format: the fedpeft adapter folder.
 *
 * <table>
 *   <caption>An adapter folder</caption>
 *   <tr><th>file</th><th>what</th></tr>
 *   <tr><td>{@value #CONFIG_FILE}</td><td>format name and version, method, options, the seed
 *       the adapter was initialised with (FROZEN_SHARED tensors derive from it), each tensor's
 *       role, the labels, the base model, the precision its frozen base computed in during
 *       training ({@code precision}: fp32 or bf16; absent in folders written before it was
 *       recorded), extra metadata (task, training seed, ...)</td></tr>
 *   <tr><td>{@value #TENSORS_FILE}</td><td>every adapter tensor but the ROUND ones, under its
 *       fedpeft name</td></tr>
 *   <tr><td>{@value #HEAD_FILE}</td><td>the classification head on the mean-pooled output</td></tr>
 *   <tr><td>{@code adapter_config.json}, {@code adapter_model.safetensors}</td><td>for LoRA,
 *       Ravan and Fed-SB only (Ravan and Fed-SB as one LoRA of rank h r; none for another method
 *       or a head without an adapter), the same adapter in Hugging Face PEFT's format for a bare
 *       BERT encoder ({@code task_type FEATURE_EXTRACTION}), so PEFT or sentence-transformers can
 *       load it; its {@code base_model_name_or_path} is the base model's folder or the bundled
 *       model's Hub id ({@link #peftBaseModel})</td></tr>
 * </table>
 *
 * <p>{@link #read} reads this format, and also folders written before it existed (a PEFT LoRA
 * folder whose {@code adapter_config.json} carries a {@code fedpeft} key, or a plain PEFT LoRA
 * folder, read as the LoRA that computes what PEFT computes with it, or refused when fedpeft's LoRA
 * cannot: {@link PeftLoraSettings}); {@link #instantiate} re-creates the adapter from its method,
 * options and recorded seed and loads every saved tensor, so the loaded adapter equals the saved
 * one exactly.
 */
public final class AdapterFiles {

  /** The head's file in an adapter folder. */
  public static final String HEAD_FILE = "head.safetensors";

  /** The folder's description. */
  public static final String CONFIG_FILE = "fedpeft_adapter.json";

  /** The adapter's tensors. */
  public static final String TENSORS_FILE = "adapter.safetensors";

  /** The format's name in {@value #CONFIG_FILE}. */
  public static final String FORMAT = "fedpeft-adapter";

  /** The format version this code writes (and the newest it reads). */
  public static final int FORMAT_VERSION = 1;

  /**
   * Key of the {@code extra} record: the SHA-256 of a training data file none of whose examples was
   * held out as test data (the run's test examples came from a file of their own, or it had no test
   * split), so that {@code eval} can refuse to re-split that file into a "test" split that the
   * adapter was trained on. See {@link #fullyUsedFileHash}.
   */
  public static final String FULLY_USED_FILE_SHA256 = "train_file_fully_used_sha256";

  /**
   * Key in {@code extra}: the label order in which the run that trained the adapter capped its test
   * file to {@code max_eval} ({@code TaskSource.load}), when that is not the adapter's label order
   * (a run's {@code data.labels} in another order than its training data's sorted labels), so that
   * {@code eval --test FILE} can cap the file as the run did. Absent: the adapter's label order.
   */
  public static final String TEST_CAP_LABEL_ORDER = "test_cap_label_order";

  /**
   * Key in {@code extra}: the base model's {@link PretrainedModel#sha256()} while the adapter
   * trained, so that {@code eval}, {@code predict}, {@code embed} and {@code retrieve} can say when
   * they load it onto another model of the same shapes (which would compute something else).
   * Written by {@link #save(Path, Adapter, long, Map, List, Map, PretrainedModel, JsonObject,
   * IOConsumer)}.
   */
  public static final String BASE_MODEL_SHA256 = "base_model_sha256";

  /**
   * Key in {@code extra}: the absolute path of the Hugging Face folder the base model was read from
   * ({@link PretrainedModel#folder()}), absent for the bundled model and in folders written before
   * it was recorded; {@code eval}, {@code predict}, {@code embed} and {@code retrieve} without
   * {@code --model} load that folder when it still holds the model of {@link #BASE_MODEL_SHA256}.
   * Written by {@link #save(Path, Adapter, long, Map, List, Map, PretrainedModel, JsonObject,
   * IOConsumer)}.
   */
  public static final String BASE_MODEL_PATH = "base_model_path";

  /**
   * Key in {@code extra}: {@code true} when the head's labels are the document ids of a retrieval
   * corpus (classifier-as-retriever: a bundled retrieval task's corpus, or the user's {@code
   * --corpus} file), so that {@code predict} can refuse the head and point to {@code retrieve}.
   * Written by train and simulate for single-task data with a corpus; absent otherwise and in
   * folders written before it was recorded.
   */
  public static final String RETRIEVAL_CORPUS = "retrieval_corpus";

  /**
   * Whether a run on {@code dataFile} (null: none) whose test examples were apart from it ({@code
   * testApart}) records {@link #FULLY_USED_FILE_SHA256}.
   */
  public static boolean fullyUsed(Path dataFile, boolean testApart) {
    return dataFile != null && testApart;
  }

  /**
   * The value of {@link #FULLY_USED_FILE_SHA256} for a run on {@code dataFile} (null: none) whose
   * test examples were apart from it ({@code testApart}), or null when there is none to record
   * ({@link #fullyUsed}).
   */
  public static String fullyUsedFileHash(Path dataFile, boolean testApart) throws IOException {
    return fullyUsed(dataFile, testApart) ? org.fedpeft.io.Sha256.of(dataFile) : null;
  }

  private AdapterFiles() {}

  /**
   * What an adapter folder holds.
   *
   * @param method the method's registry name, or {@code none}
   * @param options the method's options
   * @param adapterSeed the seed the adapter was created with (0 for folders older than the format)
   * @param roles each adapter tensor's role (empty for folders older than the format)
   * @param adapterTensors the saved adapter tensors by fedpeft name
   * @param headTensors the head's tensors
   * @param labels the head's label names, in output order
   * @param baseModel the base model's name, or null
   * @param extra more metadata (task, training seed, ...)
   * @param formatVersion the folder's format version (0: written before the format existed)
   * @param taskLabels each task's labels, in head order (empty or one task: a single head)
   * @param precision the precision the frozen base computed in while the adapter trained, or null
   *     when the folder does not record it (written before it was recorded, or a PEFT folder)
   */
  public record Saved(
      String method,
      Map<String, String> options,
      long adapterSeed,
      Map<String, Role> roles,
      Map<String, HostTensor> adapterTensors,
      Map<String, HostTensor> headTensors,
      List<String> labels,
      String baseModel,
      JsonObject extra,
      int formatVersion,
      Map<String, List<String>> taskLabels,
      Precision precision) {}

  /**
   * Writes the adapter (may be null for a head on the frozen encoder), the head and the labels.
   *
   * @param adapterSeed the seed the adapter was created with
   * @param extra more fedpeft metadata (task, seed, ...)
   */
  public static void save(
      Path dir,
      Adapter adapter,
      long adapterSeed,
      Map<String, HostTensor> headTensors,
      List<String> labels,
      String baseModel,
      JsonObject extra)
      throws IOException {
    save(dir, adapter, adapterSeed, headTensors, labels, baseModel, extra, folder -> {});
  }

  /**
   * Like {@link #save(Path, Adapter, long, Map, List, String, JsonObject)}, with more files written
   * by {@code more} into the same folder. The folder is replaced whole ({@link
   * AtomicFiles#writeFolder}): a failure or crash part-way leaves the previous adapter folder as it
   * was, never its weights next to a new head.
   */
  public static void save(
      Path dir,
      Adapter adapter,
      long adapterSeed,
      Map<String, HostTensor> headTensors,
      List<String> labels,
      String baseModel,
      JsonObject extra,
      IOConsumer<Path> more)
      throws IOException {
    save(
        dir,
        adapter,
        adapterSeed,
        headTensors,
        labels,
        Map.of(),
        baseModel,
        peftBaseModel(baseModel, null),
        null,
        extra,
        more);
  }

  /**
   * Like {@link #save(Path, Adapter, long, Map, List, String, JsonObject, IOConsumer)}, for a head
   * of several tasks trained on {@code base}: {@code taskLabels} (each task's labels, in head
   * order) is saved as {@code task_labels} when it holds more than one task. Records what the
   * adapter was trained on, so that {@code eval}, {@code predict}, {@code embed} and {@code
   * retrieve} can find that model and say when they compute with another: the base model's name
   * ({@code base_model}), the precision its frozen base computed in ({@code precision}), and in
   * {@code extra} (a copy; the argument is left as it is) its digest ({@link #BASE_MODEL_SHA256})
   * and, for a model read from a folder, that folder ({@link #BASE_MODEL_PATH}). Train and simulate
   * save through this method.
   */
  public static void save(
      Path dir,
      Adapter adapter,
      long adapterSeed,
      Map<String, HostTensor> headTensors,
      List<String> labels,
      Map<String, List<String>> taskLabels,
      PretrainedModel base,
      JsonObject extra,
      IOConsumer<Path> more)
      throws IOException {
    JsonObject recorded = extra == null ? new JsonObject() : extra.deepCopy();
    recorded.addProperty(BASE_MODEL_SHA256, base.sha256());
    if (base.folder() != null) {
      recorded.addProperty(BASE_MODEL_PATH, base.folder().toString());
    }
    save(
        dir,
        adapter,
        adapterSeed,
        headTensors,
        labels,
        taskLabels,
        base.name(),
        peftBaseModel(base.name(), base.folder()),
        base.precision().precision(),
        recorded,
        more);
  }

  /**
   * The folder that {@code saved}, the adapter folder {@code dir}, records its base model was read
   * from, if it records one: {@link #BASE_MODEL_PATH}, or for a plain PEFT folder its {@code
   * base_model_name_or_path} when that is an absolute path (the local folder PEFT loaded the model
   * from; a Hub id or a relative path names no folder here). fedpeft's own folders record the
   * model's name as {@link Saved#baseModel}, never a path.
   *
   * @throws IllegalArgumentException naming the folder's configuration file and the field when it
   *     is not a string
   */
  public static java.util.Optional<Path> baseModelFolder(Path dir, Saved saved) {
    var recorded =
        extraField(dir, saved, BASE_MODEL_PATH, STRING, JsonElement::getAsString).map(Path::of);
    if (recorded.isPresent() || saved.baseModel() == null) {
      return recorded;
    }
    return localFolder(saved.baseModel());
  }

  /**
   * The folder that a PEFT {@code base_model_name_or_path} names on this machine: the path itself
   * when it is absolute; empty for a Hub id, a relative path (relative to where PEFT ran) or text
   * that is no path here.
   */
  public static java.util.Optional<Path> localFolder(String baseModelNameOrPath) {
    try {
      Path p = Path.of(baseModelNameOrPath);
      return p.isAbsolute() ? java.util.Optional.of(p) : java.util.Optional.empty();
    } catch (java.nio.file.InvalidPathException notAPath) {
      return java.util.Optional.empty();
    }
  }

  /**
   * The {@code base_model_name_or_path} of the PEFT export ({@code adapter_config.json}) for a base
   * model named {@code name} read from {@code folder} (null: none): what PEFT's {@code
   * from_pretrained} can load the base model from, as PEFT itself records a Hugging Face Hub id or
   * the local path the base was loaded from. A model read from a folder gives that folder's path
   * ({@link #BASE_MODEL_PATH} records the same; its name alone, the folder's name, loads nothing
   * outside the folder's parent), so the export loads on the machine that trained it and needs
   * editing elsewhere, as PEFT's own adapters of a local model do; the bundled model gives its Hub
   * id, {@value PretrainedModel#HUB_ID}, which loads anywhere; any other model (made in memory) its
   * name. {@code fedpeft_adapter.json}'s {@code base_model} keeps the name.
   */
  public static String peftBaseModel(String name, Path folder) {
    if (folder != null) {
      return folder.toString();
    }
    return PretrainedModel.DEFAULT.equals(name) ? PretrainedModel.HUB_ID : name;
  }

  /**
   * The digest of the base model that {@code saved}, the adapter folder {@code dir}, records it was
   * trained on ({@link #BASE_MODEL_SHA256}), if it records one.
   *
   * @throws IllegalArgumentException naming the folder's configuration file and the field when it
   *     is not a SHA-256 as {@link PretrainedModel#sha256()} writes it (64 lowercase hex digits)
   */
  public static java.util.Optional<String> baseModelDigest(Path dir, Saved saved) {
    return extraField(dir, saved, BASE_MODEL_SHA256, SHA256_HEX, AdapterFiles::sha256Hex);
  }

  /**
   * The seed of the run that trained {@code saved}, the adapter folder {@code dir} ({@code
   * extra.seed}, which train and simulate write), if it records one: eval and retrieve draw a
   * task's splits and corpus with it.
   *
   * @throws IllegalArgumentException naming the folder's configuration file and the field when it
   *     is not a whole JSON number
   */
  public static java.util.Optional<Long> trainingSeed(Path dir, Saved saved) {
    return trainingSeed(configFile(dir), saved.extra());
  }

  /** {@code extra.seed} of {@code extra}, the {@code extra} object of {@code config}. */
  private static java.util.Optional<Long> trainingSeed(Path config, JsonObject extra) {
    return extraField(config, extra, "seed", INTEGER, v -> number(v).longValueExact());
  }

  /**
   * The training objective that {@code saved}, the adapter folder {@code dir}, records ({@code
   * extra.objective}, e.g. {@code contrastive}), if it records one.
   *
   * @throws IllegalArgumentException naming the folder's configuration file and the field when it
   *     is not a string
   */
  public static java.util.Optional<String> objective(Path dir, Saved saved) {
    return extraField(dir, saved, "objective", STRING, JsonElement::getAsString);
  }

  /**
   * Records in {@code extra} (an adapter's {@code extra} object, as train and simulate write it)
   * that the head's labels are the document ids of a retrieval corpus ({@link #RETRIEVAL_CORPUS}:
   * {@code true}) when {@code splits} is a single task with a corpus; otherwise writes nothing.
   */
  public static void recordRetrievalCorpus(JsonObject extra, TaskSplits splits) {
    if (splits.retrievalCorpus().isPresent() && !splits.isMultiTask()) {
      // The head's labels are document ids: predict refuses it, pointing to retrieve.
      extra.addProperty(RETRIEVAL_CORPUS, true);
    }
  }

  /**
   * Whether {@code saved}, the adapter folder {@code dir}, records that its head's labels are the
   * document ids of a retrieval corpus ({@link #RETRIEVAL_CORPUS}).
   *
   * @throws IllegalArgumentException naming the folder's configuration file and the field when it
   *     is not a JSON boolean
   */
  public static boolean retrievalCorpus(Path dir, Saved saved) {
    return extraField(dir, saved, RETRIEVAL_CORPUS, BOOLEAN, AdapterFiles::bool).orElse(false);
  }

  /**
   * The task that {@code saved}, the adapter folder {@code dir}, records it was trained on ({@code
   * extra.task}: a bundled task with its parameters, or the user's data), if it records one.
   *
   * @throws IllegalArgumentException naming the folder's configuration file and the field when it
   *     is not a string
   */
  public static java.util.Optional<String> task(Path dir, Saved saved) {
    return extraField(dir, saved, "task", STRING, JsonElement::getAsString);
  }

  /**
   * The digest of the training data file that {@code saved}, the adapter folder {@code dir},
   * records its run used whole ({@link #FULLY_USED_FILE_SHA256}), if it records one.
   *
   * @throws IllegalArgumentException naming the folder's configuration file and the field when it
   *     is not a SHA-256 as {@link org.fedpeft.io.Sha256#of} writes it (64 lowercase hex digits)
   */
  public static java.util.Optional<String> fullyUsedFileDigest(Path dir, Saved saved) {
    return extraField(dir, saved, FULLY_USED_FILE_SHA256, SHA256_HEX, AdapterFiles::sha256Hex);
  }

  /**
   * The {@code max_eval} of the run that trained {@code saved}, the adapter folder {@code dir}
   * ({@code extra.max_eval}: how many test examples it evaluated at most), if it records one.
   *
   * @throws IllegalArgumentException naming the folder's configuration file and the field when it
   *     is not a whole JSON number in int range
   */
  public static java.util.Optional<Integer> maxEval(Path dir, Saved saved) {
    return extraField(dir, saved, "max_eval", INTEGER, v -> number(v).intValueExact());
  }

  /**
   * The temperature of the contrastive objective that trained {@code saved}, the adapter folder
   * {@code dir} ({@code extra.temperature}), if it records one.
   *
   * @throws IllegalArgumentException naming the folder's configuration file and the field when it
   *     is not a JSON number
   */
  public static java.util.Optional<Double> temperature(Path dir, Saved saved) {
    return extraField(dir, saved, "temperature", NUMBER, v -> number(v).doubleValue());
  }

  /**
   * Field {@code name} of the {@code extra} object that {@code saved}, the adapter folder {@code
   * dir}, records, read by {@code read} ({@link #field}), if it is there. An error names the field
   * by its path in the file: {@code extra.NAME} in {@value #CONFIG_FILE}, {@code
   * fedpeft.extra.NAME} in the {@code adapter_config.json} of a folder older than the format.
   */
  private static <T> java.util.Optional<T> extraField(
      Path dir, Saved saved, String name, String type, Function<JsonElement, T> read) {
    return extraField(configFile(dir), saved.extra(), name, type, read);
  }

  /** Field {@code name} of {@code extra}, the {@code extra} object of {@code config}. */
  private static <T> java.util.Optional<T> extraField(
      Path config, JsonObject extra, String name, String type, Function<JsonElement, T> read) {
    JsonElement recorded = extra.get(name);
    if (recorded == null) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(field(recorded, extraKey(config, name), config, type, read));
  }

  /**
   * The path of field {@code name} of the {@code extra} object in {@code config}: {@code
   * extra.NAME} in {@value #CONFIG_FILE}, {@code fedpeft.extra.NAME} in a PEFT {@code
   * adapter_config.json}.
   */
  private static String extraKey(Path config, String name) {
    return (config.endsWith(CONFIG_FILE) ? "" : PeftAdapterConfig.FEDPEFT_KEY + ".")
        + "extra."
        + name;
  }

  private static void save(
      Path dir,
      Adapter adapter,
      long adapterSeed,
      Map<String, HostTensor> headTensors,
      List<String> labels,
      Map<String, List<String>> taskLabels,
      String baseModel,
      String peftBaseModel,
      Precision precision,
      JsonObject extra,
      IOConsumer<Path> more)
      throws IOException {
    if (adapter != null) {
      adapter.prepareToSave(); // ROUND tensors are not saved: Ravan folds its scales into its cores
    }
    AtomicFiles.writeFolder(
        dir,
        folder -> {
          writeFedpeftFiles(
              folder, adapter, adapterSeed, labels, taskLabels, baseModel, precision, extra);
          writePeftFiles(folder, adapter, headTensors, labels, peftBaseModel, extra);
          more.accept(folder);
        });
  }

  private static void writePeftFiles(
      Path dir,
      Adapter adapter,
      Map<String, HostTensor> headTensors,
      List<String> labels,
      String peftBaseModel,
      JsonObject extra)
      throws IOException {
    JsonObject fp = new JsonObject();
    fp.addProperty("head", "linear-on-mean-pool");
    JsonArray labelArray = new JsonArray();
    labels.forEach(labelArray::add);
    fp.add("labels", labelArray);
    fp.add("extra", extra == null ? new JsonObject() : extra);
    Safetensors.write(dir.resolve(HEAD_FILE), headTensors, Map.of("format", "pt"));
    if (adapter == null) {
      // A head on the frozen encoder: no adapter, so no PEFT export (an empty LoRA of rank 1 on
      // no module was written before); the fedpeft files and the head hold the run.
      return;
    }
    // LoRA; Ravan and Fed-SB as one LoRA of rank h r per module; nothing for another method.
    adapter.writePeftFiles(dir, peftBaseModel, fp);
  }

  private static void writeFedpeftFiles(
      Path dir,
      Adapter adapter,
      long adapterSeed,
      List<String> labels,
      Map<String, List<String>> taskLabels,
      String baseModel,
      Precision precision,
      JsonObject extra)
      throws IOException {
    JsonObject c = new JsonObject();
    c.addProperty("format", FORMAT);
    c.addProperty("format_version", FORMAT_VERSION);
    c.addProperty("method", adapter == null ? "none" : adapter.method());
    JsonObject opts = new JsonObject();
    if (adapter != null) {
      adapter.options().forEach(opts::addProperty);
    }
    c.add("options", opts);
    c.addProperty("seed", adapterSeed);
    c.addProperty("head", "linear-on-mean-pool");
    JsonArray labelArray = new JsonArray();
    labels.forEach(labelArray::add);
    c.add("labels", labelArray);
    if (taskLabels.size() > 1) {
      JsonObject tasks = new JsonObject();
      taskLabels.forEach(
          (t, l) -> {
            JsonArray a = new JsonArray();
            l.forEach(a::add);
            tasks.add(t, a);
          });
      c.add("task_labels", tasks);
    }
    if (baseModel != null) {
      c.addProperty("base_model", baseModel);
    }
    if (precision != null) {
      c.addProperty("precision", precision.label());
    }
    JsonObject roles = new JsonObject();
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    if (adapter != null) {
      for (AdapterTensor t : adapter.tensors()) {
        if (t.role() != Role.ROUND) {
          roles.addProperty(t.name(), t.role().name());
          tensors.put(t.name(), Adapter.Tensors.toHost(t.array()));
        }
      }
    }
    c.add("roles", roles);
    c.add("extra", extra == null ? new JsonObject() : extra);
    Safetensors.write(dir.resolve(TENSORS_FILE), tensors, Map.of("format", "pt"));
    AtomicFiles.writeString(
        dir.resolve(CONFIG_FILE),
        new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(c) + "\n");
  }

  /**
   * Reads an adapter folder written by {@link #save}, by an earlier version (PEFT files with a
   * {@code fedpeft} key), or a plain PEFT LoRA folder.
   *
   * @throws IllegalArgumentException naming the file and what is wrong
   */
  public static Saved read(Path dir) throws IOException {
    Path config = dir.resolve(CONFIG_FILE);
    if (Files.isRegularFile(config)) {
      return readFormat(dir, config);
    }
    return readPeft(dir);
  }

  private static Saved readFormat(Path dir, Path config) throws IOException {
    JsonObject c = org.fedpeft.io.JsonFiles.readObject(config, org.fedpeft.io.JsonFiles.MAX_BYTES);
    if (!c.has("format")
        || !FORMAT.equals(field(c, "format", config, STRING, e -> e.getAsString()))) {
      throw new IllegalArgumentException(config + ": \"format\" is not \"" + FORMAT + "\"");
    }
    int version = field(c, "format_version", config, INTEGER, v -> number(v).intValueExact());
    if (version < 1 || version > FORMAT_VERSION) {
      throw new IllegalArgumentException(
          config
              + ": format_version "
              + version
              + " is not one this fedpeft reads (1 to "
              + FORMAT_VERSION
              + "); a newer fedpeft wrote it?");
    }
    Map<String, String> options = new LinkedHashMap<>();
    field(c, "options", config, "an object of strings", JsonElement::getAsJsonObject)
        .entrySet()
        .forEach(
            e ->
                options.put(
                    e.getKey(),
                    field(
                        e.getValue(),
                        "options." + e.getKey(),
                        config,
                        STRING,
                        v -> v.getAsString())));
    Map<String, Role> roles = new LinkedHashMap<>();
    for (var e : field(c, "roles", config, "an object", JsonElement::getAsJsonObject).entrySet()) {
      String role =
          field(e.getValue(), "roles." + e.getKey(), config, STRING, v -> v.getAsString());
      try {
        roles.put(e.getKey(), Role.valueOf(role));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(
            config + ": tensor " + e.getKey() + " has unknown role " + e.getValue(), ex);
      }
    }
    Map<String, HostTensor> tensors = Safetensors.readFloatTensors(dir.resolve(TENSORS_FILE));
    if (!tensors.keySet().equals(roles.keySet())) {
      throw new IllegalArgumentException(
          dir.resolve(TENSORS_FILE)
              + " holds "
              + tensors.keySet()
              + " but "
              + CONFIG_FILE
              + " lists "
              + roles.keySet());
    }
    Path head = dir.resolve(HEAD_FILE);
    Map<String, HostTensor> headTensors =
        Files.isRegularFile(head) ? Safetensors.readFloatTensors(head) : Map.of();
    List<String> labels = field(c, "labels", config, STRINGS, AdapterFiles::strings);
    Map<String, List<String>> taskLabels = new LinkedHashMap<>();
    if (c.has("task_labels")) {
      for (var e :
          field(c, "task_labels", config, "an object", JsonElement::getAsJsonObject).entrySet()) {
        taskLabels.put(
            e.getKey(),
            List.copyOf(
                field(
                    e.getValue(),
                    "task_labels." + e.getKey(),
                    config,
                    STRINGS,
                    AdapterFiles::strings)));
      }
    }
    Precision precision = null;
    if (c.has("precision")) {
      String p = field(c, "precision", config, STRING, e -> e.getAsString());
      precision =
          Precision.ofLabel(p)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          config + ": precision \"" + p + "\" is not fp32 or bf16"));
    }
    return new Saved(
        field(c, "method", config, STRING, e -> e.getAsString()),
        options,
        field(c, "seed", config, INTEGER, v -> number(v).longValueExact()),
        roles,
        tensors,
        headTensors,
        labels,
        c.has("base_model") ? field(c, "base_model", config, STRING, e -> e.getAsString()) : null,
        c.has("extra")
            ? field(c, "extra", config, "an object", JsonElement::getAsJsonObject)
            : new JsonObject(),
        version,
        taskLabels,
        precision);
  }

  /**
   * The labels of {@code saved}, the adapter folder {@code dir}, in the order its run capped its
   * test file in: those {@link #TEST_CAP_LABEL_ORDER} lists, then the others in the adapter's
   * order; the adapter's labels when the folder records no such order (written by train, by a run
   * whose order was the adapter's, or before the order was recorded).
   *
   * @throws IllegalArgumentException naming the folder's configuration file and the field when it
   *     is not an array of distinct labels of the adapter
   */
  public static List<String> testCapOrder(Path dir, Saved saved) {
    JsonElement recorded = saved.extra().get(TEST_CAP_LABEL_ORDER);
    if (recorded == null) {
      return saved.labels();
    }
    Path config = configFile(dir);
    String key = extraKey(config, TEST_CAP_LABEL_ORDER);
    List<String> order = field(recorded, key, config, STRINGS, AdapterFiles::strings);
    Set<String> seen = new HashSet<>();
    for (String label : order) {
      if (!saved.labels().contains(label)) {
        throw new IllegalArgumentException(
            config
                + ": field \""
                + key
                + "\" lists \""
                + label
                + "\", which is not one of the adapter's labels "
                + saved.labels());
      }
      if (!seen.add(label)) {
        throw new IllegalArgumentException(
            config + ": field \"" + key + "\" lists \"" + label + "\" twice");
      }
    }
    List<String> all = new ArrayList<>(order);
    saved.labels().stream().filter(l -> !seen.contains(l)).forEach(all::add);
    return all;
  }

  /** The file of adapter folder {@code dir} that holds its {@code extra} record. */
  private static Path configFile(Path dir) {
    Path config = dir.resolve(CONFIG_FILE);
    return Files.isRegularFile(config) ? config : dir.resolve(PeftAdapterFiles.CONFIG_FILE);
  }

  private static final String STRING = "a string";
  private static final String INTEGER = "an integer";
  private static final String NUMBER = "a number";
  private static final String STRINGS = "an array of strings";
  private static final String BOOLEAN = "true or false";
  private static final String SHA256_HEX = "a SHA-256 digest: a string of 64 lowercase hex digits";

  /**
   * Field {@code key} of {@code c} in {@code config}, read by {@code read}; a field that is
   * missing, null or of another type is an error naming the file and the field.
   */
  private static <T> T field(
      JsonObject c, String key, Path config, String type, Function<JsonElement, T> read) {
    return field(c.get(key), key, config, type, read);
  }

  /**
   * Field {@code key} of {@code c}, an object at path {@code at} (e.g. {@code "fedpeft."}) in
   * {@code config}, read by {@code read}; errors name the field by its whole path.
   */
  private static <T> T field(
      JsonObject c,
      String key,
      String at,
      Path config,
      String type,
      Function<JsonElement, T> read) {
    return field(c.get(key), at + key, config, type, read);
  }

  /** {@code value}, the field {@code key} of {@code config}, read by {@code read}. */
  private static <T> T field(
      JsonElement value, String key, Path config, String type, Function<JsonElement, T> read) {
    if (value == null || value.isJsonNull()) {
      throw new IllegalArgumentException(config + ": missing field \"" + key + "\"");
    }
    // As before these checks, a number or boolean reads as its text where a string is expected.
    boolean typed = !type.equals(STRING) || value.isJsonPrimitive();
    try {
      if (typed) {
        return read.apply(value);
      }
    } catch (IllegalStateException
        | UnsupportedOperationException
        | NumberFormatException
        | ArithmeticException e) {
      // Gson's messages name its own types; the file and the field say more.
    }
    throw new IllegalArgumentException(
        config
            + ": field \""
            + key
            + "\" must be "
            + type
            + ", found "
            + PeftLoraSettings.shortJson(value));
  }

  /**
   * A JSON number ({@link JsonNumbers}), exact, for a caller that takes its int, long or double
   * value; a string ({@code "1"}) is not a number.
   */
  private static BigDecimal number(JsonElement e) {
    return JsonNumbers.of(e).orElseThrow(() -> new IllegalStateException("not a number: " + e));
  }

  /** A JSON string of 64 lowercase hex digits, as {@link PretrainedModel#sha256()} writes. */
  private static String sha256Hex(JsonElement e) {
    if (!e.isJsonPrimitive()
        || !e.getAsJsonPrimitive().isString()
        || !e.getAsString().matches("[0-9a-f]{64}")) {
      throw new IllegalStateException("not a SHA-256: " + e);
    }
    return e.getAsString();
  }

  /** A JSON boolean (a string such as {@code "true"} is not one). */
  private static boolean bool(JsonElement e) {
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw new IllegalStateException("not a boolean: " + e);
    }
    return e.getAsBoolean();
  }

  /** The strings of a JSON array. */
  private static List<String> strings(JsonElement e) {
    List<String> out = new ArrayList<>();
    for (JsonElement x : e.getAsJsonArray()) {
      if (!x.isJsonPrimitive()) {
        throw new IllegalStateException("not a string: " + x);
      }
      out.add(x.getAsString());
    }
    return out;
  }

  /**
   * Reads a PEFT LoRA folder ({@link PeftAdapterFiles#read}, which checks the fields PEFT writes:
   * {@code r} an integer, {@code lora_alpha} a number, {@code target_modules} a list of names or a
   * regular expression, {@code base_model_name_or_path} a string or null), with what an earlier
   * fedpeft recorded under its {@code fedpeft} key: {@code method}, {@code options} (LoRA only),
   * {@code labels} and {@code extra}, whose {@code seed} initialised the adapter. Each of those is
   * read by {@link #field}, so a value of another type is refused naming the file and the field.
   *
   * <p>The folder loads as the LoRA that computes what PEFT computes with it ({@link
   * PeftLoraSettings}): a setting fedpeft's LoRA cannot compute ({@code use_dora}, {@code bias},
   * {@code modules_to_save}, ...), or a field fedpeft does not know that is set (not null, false,
   * [] or <code>{}</code>), is refused naming {@code adapter_config.json} and the field, a tensor
   * that is not a LoRA factor of an encoder layer's linear module (an embedding's, a saved
   * module's) naming {@code adapter_model.safetensors} and the tensor, and a factor on a module the
   * settings do not target naming both. Without {@code fedpeft.options}, the options are {@code r}
   * or the one rank {@code rank_pattern} gives the modules, {@code lora_alpha} or the one alpha
   * {@code alpha_pattern} gives them (with {@code use_rslora}, the alpha giving the scaling alpha /
   * sqrt(r)), {@code lora_dropout} and the targets: {@code target_modules}, or the modules whose
   * factors the folder holds when {@code target_modules} is a regular expression or {@code
   * layers_to_transform} or {@code exclude_modules} narrow it. With {@code fedpeft.options}, a
   * scaling alpha / rank that differs from PEFT's is refused.
   */
  private static Saved readPeft(Path dir) throws IOException {
    var peft = PeftAdapterFiles.read(dir);
    PeftAdapterConfig cfg = peft.config();
    JsonObject fp = cfg.fedpeft();
    Path config = dir.resolve(PeftAdapterFiles.CONFIG_FILE);
    Path weights = dir.resolve(PeftAdapterFiles.WEIGHTS_FILE);
    PeftLoraSettings.refuseUncomputable(config, cfg);
    String at = PeftAdapterConfig.FEDPEFT_KEY + ".";
    String method =
        fp.has("method") ? field(fp, "method", at, config, STRING, e -> e.getAsString()) : "lora";
    Map<String, HostTensor> adapter = new LinkedHashMap<>();
    Map<String, String> modules = new LinkedHashMap<>(); // PEFT path -> fedpeft module
    for (var e : peft.tensors().entrySet()) {
      PeftNames.LoraKey k;
      try {
        k = PeftNames.parseLoraKey(e.getKey());
      } catch (IllegalArgumentException notLora) {
        throw PeftLoraSettings.notLoraFactor(weights, e.getKey(), notLora);
      }
      PeftLoraSettings.requireTargeted(config, cfg, e.getKey(), k.modulePath());
      String module = "encoder.layer." + k.layer() + "." + PeftNames.modulePath(k.module());
      adapter.put(module + "." + k.part(), e.getValue());
      modules.putIfAbsent(k.modulePath(), module);
    }
    Map<String, String> options = new LinkedHashMap<>();
    if (method.equals("lora") && fp.has("options")) {
      for (var e :
          field(fp, "options", at, config, "an object of strings", JsonElement::getAsJsonObject)
              .entrySet()) {
        options.put(
            e.getKey(),
            field(
                e.getValue(), at + "options." + e.getKey(), config, STRING, v -> v.getAsString()));
      }
      PeftLoraSettings.requireSameScaling(config, cfg, modules.keySet(), options);
    } else {
      // A PEFT folder holds LoRA factors whatever method trained them: Ravan and Fed-SB export
      // as one LoRA of rank h r (RavanExport), with their own method in the fedpeft key. Without
      // the fedpeft files beside it, the folder is that LoRA, as adapter_config.json describes it.
      options.putAll(PeftLoraSettings.loraOptions(config, cfg, modules));
    }
    Path head = dir.resolve(HEAD_FILE);
    Map<String, HostTensor> headTensors =
        Files.isRegularFile(head) ? Safetensors.readFloatTensors(head) : Map.of();
    List<String> labels =
        fp.has("labels")
            ? field(fp, "labels", at, config, STRINGS, AdapterFiles::strings)
            : new ArrayList<>();
    JsonObject extra =
        fp.has("extra")
            ? field(fp, "extra", at, config, "an object", JsonElement::getAsJsonObject)
            : new JsonObject();
    // Folders of this kind record the run's seed (which initialised the adapter) in extra.seed.
    long seed = trainingSeed(config, extra).orElse(0L);
    return new Saved(
        "lora",
        options,
        seed,
        Map.of(),
        adapter,
        headTensors,
        labels,
        cfg.baseModelNameOrPath().orElse(null),
        extra,
        0,
        Map.of(),
        null);
  }

  /**
   * Creates the adapter saved in folder {@code dir} on an encoder from its method, options and
   * recorded seed, and loads every saved tensor (null for method "none").
   *
   * @throws IllegalArgumentException if a saved tensor's role differs from the adapter's, or a
   *     saved tensor is not one of the adapter's or has another shape (the adapter is closed again)
   * @throws PeftFormatException naming {@code dir} if the loaded adapter cannot compute the model
   *     it was saved from ({@link Adapter#savedStateProblem})
   */
  public static Adapter instantiate(Path dir, Saved saved, BertEncoder encoder) {
    if (saved.method().equals("none")) {
      return null;
    }
    Adapter a =
        AdapterRegistry.get(saved.method())
            .createForSaved(saved.options(), encoder, saved.adapterSeed());
    for (AdapterTensor t : a.tensors()) {
      Role saidRole = saved.roles().get(t.name());
      if (saidRole != null && saidRole != t.role()) {
        a.close();
        throw new IllegalArgumentException(
            "saved tensor " + t.name() + " is " + saidRole + " but the adapter has it " + t.role());
      }
    }
    String problem;
    try {
      a.loadState(saved.adapterTensors());
      problem = a.savedStateProblem();
    } catch (RuntimeException | Error e) {
      a.close();
      throw e;
    }
    if (problem != null) {
      a.close();
      throw new PeftFormatException(dir, problem);
    }
    return a;
  }
}
