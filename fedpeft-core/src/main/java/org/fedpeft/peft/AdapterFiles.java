package org.fedpeft.peft;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.IOConsumer;
import org.fedpeft.io.PeftAdapterConfig;
import org.fedpeft.io.PeftAdapterFiles;
import org.fedpeft.io.PeftNames;
import org.fedpeft.io.Safetensors;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.lora.LoraAdapter;
import org.fedpeft.peft.lora.LoraConfig;
import org.fedpeft.tensor.HostTensor;

/**
 * Saves and loads a trained adapter with its classification head.
 *
 * <p>A LoRA adapter is written in Hugging Face PEFT's format for a bare BERT encoder ({@code
 * task_type FEATURE_EXTRACTION}, tensor names such as {@code
 * base_model.model.encoder.layer.0.attention.self.query.lora_A.weight}), so {@code
 * PeftModel.from_pretrained(BertModel...)} or sentence-transformers can load it. The head on the
 * mean-pooled output is not a PEFT concept (PEFT's SEQ_CLS heads sit on BERT's pooler), so it goes
 * to {@code head.safetensors} beside it; the label names, the adapter method and its options go
 * under the {@code fedpeft} key of {@code adapter_config.json}.
 */
public final class AdapterFiles {

  /** The head's file in an adapter folder. */
  public static final String HEAD_FILE = "head.safetensors";

  private AdapterFiles() {}

  /** What an adapter folder holds. */
  public record Saved(
      String method,
      Map<String, String> options,
      Map<String, HostTensor> adapterTensors,
      Map<String, HostTensor> headTensors,
      List<String> labels,
      String baseModel,
      JsonObject extra) {}

  /**
   * Writes the adapter (may be null for a head on the frozen encoder), the head and the labels.
   *
   * @param extra more fedpeft metadata (task, seed, ...), stored under {@code fedpeft.extra}
   */
  public static void save(
      Path dir,
      Adapter adapter,
      Map<String, HostTensor> headTensors,
      List<String> labels,
      String baseModel,
      JsonObject extra)
      throws IOException {
    save(dir, adapter, headTensors, labels, baseModel, extra, folder -> {});
  }

  /**
   * Like {@link #save(Path, Adapter, Map, List, String, JsonObject)}, with more files written by
   * {@code more} into the same folder. The folder is replaced whole ({@link
   * AtomicFiles#writeFolder}): a failure or crash part-way leaves the previous adapter folder as it
   * was, never its LoRA weights next to a new head.
   */
  public static void save(
      Path dir,
      Adapter adapter,
      Map<String, HostTensor> headTensors,
      List<String> labels,
      String baseModel,
      JsonObject extra,
      IOConsumer<Path> more)
      throws IOException {
    AtomicFiles.writeFolder(
        dir,
        folder -> {
          writeInto(folder, adapter, headTensors, labels, baseModel, extra);
          more.accept(folder);
        });
  }

  private static void writeInto(
      Path dir,
      Adapter adapter,
      Map<String, HostTensor> headTensors,
      List<String> labels,
      String baseModel,
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
      fp.addProperty("method", "none");
      PeftAdapterConfig cfg =
          PeftAdapterConfig.builder(1, 1, List.of())
              .taskType("FEATURE_EXTRACTION")
              .baseModelNameOrPath(baseModel)
              .fedpeft(fp)
              .build();
      PeftAdapterFiles.write(dir, cfg, Map.of());
      return;
    }
    if (!(adapter instanceof LoraAdapter lora)) {
      throw new UnsupportedOperationException(
          "saving " + adapter.method() + " adapters is not implemented yet");
    }
    LoraConfig lc = lora.config();
    fp.addProperty("method", "lora");
    JsonObject opts = new JsonObject();
    lc.toOptions().forEach(opts::addProperty);
    fp.add("options", opts);
    Map<String, HostTensor> peft = new LinkedHashMap<>();
    List<String> modules = new ArrayList<>();
    for (var e : adapter.state().entrySet()) {
      String name = e.getKey(); // encoder.layer.N.<module>.lora_A
      int dot = name.lastIndexOf('.');
      String module = name.substring(0, dot);
      String part = name.substring(dot + 1);
      String[] bits = module.split("\\.", 4); // encoder, layer, N, path
      int layer = Integer.parseInt(bits[2]);
      peft.put(PeftNames.loraKey(layer, bits[3], part), e.getValue());
      if (!modules.contains(module)) {
        modules.add(module);
      }
    }
    PeftAdapterConfig cfg =
        PeftAdapterConfig.builder(lc.rank(), lc.alpha(), modules)
            .taskType("FEATURE_EXTRACTION")
            .loraDropout(lc.dropout())
            .baseModelNameOrPath(baseModel)
            .fedpeft(fp)
            .build();
    PeftAdapterFiles.write(dir, cfg, peft);
  }

  /** Reads an adapter folder written by {@link #save} (or a plain PEFT LoRA folder). */
  public static Saved read(Path dir) throws IOException {
    var peft = PeftAdapterFiles.read(dir);
    PeftAdapterConfig cfg = peft.config();
    JsonObject fp = cfg.fedpeft();
    String method = fp.has("method") ? fp.get("method").getAsString() : "lora";
    Map<String, String> options = new LinkedHashMap<>();
    if (fp.has("options")) {
      for (var e : fp.getAsJsonObject("options").entrySet()) {
        options.put(e.getKey(), e.getValue().getAsString());
      }
    } else if (method.equals("lora")) {
      options.put("rank", Integer.toString(cfg.r()));
      options.put("alpha", Double.toString(cfg.loraAlpha()));
      options.put("dropout", Double.toString(cfg.loraDropout()));
      options.put("targets", String.join("+", cfg.targetModules()));
    }
    Map<String, HostTensor> adapter = new LinkedHashMap<>();
    for (var e : peft.tensors().entrySet()) {
      PeftNames.LoraKey k = PeftNames.parseLoraKey(e.getKey());
      adapter.put(
          "encoder.layer." + k.layer() + "." + PeftNames.modulePath(k.module()) + "." + k.part(),
          e.getValue());
    }
    Path head = dir.resolve(HEAD_FILE);
    Map<String, HostTensor> headTensors =
        Files.isRegularFile(head) ? Safetensors.readFloatTensors(head) : Map.of();
    List<String> labels = new ArrayList<>();
    if (fp.has("labels")) {
      for (JsonElement l : fp.getAsJsonArray("labels")) {
        labels.add(l.getAsString());
      }
    }
    return new Saved(
        method,
        options,
        adapter,
        headTensors,
        labels,
        cfg.baseModelNameOrPath().orElse(null),
        fp.has("extra") ? fp.getAsJsonObject("extra") : new JsonObject());
  }

  /** Creates the saved adapter on an encoder and loads its tensors (null for method "none"). */
  public static Adapter instantiate(Saved saved, BertEncoder encoder) {
    if (saved.method().equals("none")) {
      return null;
    }
    Adapter a = AdapterRegistry.get(saved.method()).create(saved.options(), encoder, 0);
    a.loadState(saved.adapterTensors());
    return a;
  }
}
