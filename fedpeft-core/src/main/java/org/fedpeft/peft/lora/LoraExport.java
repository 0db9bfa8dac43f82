package org.fedpeft.peft.lora;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.io.PeftAdapterConfig;
import org.fedpeft.io.PeftAdapterFiles;
import org.fedpeft.peft.PeftNames;
import org.fedpeft.tensor.HostTensor;

/**
 * Writes a LoRA adapter in Hugging Face PEFT's LoRA format ({@link LoraAdapter#writePeftFiles}):
 * each factor under its PEFT name, with {@code r}, {@code lora_alpha}, {@code lora_dropout} and the
 * target modules of its configuration, so that a tool loading it computes what the adapter
 * computes.
 */
final class LoraExport {

  private LoraExport() {}

  /**
   * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} into {@code dir}.
   *
   * @param baseModel the config's {@code base_model_name_or_path} ({@code
   *     AdapterFiles.peftBaseModel})
   * @param fedpeft the {@code fedpeft} object of the config (head, labels, extra); a copy with the
   *     method and its options added is written
   */
  static void write(Path dir, LoraAdapter adapter, String baseModel, JsonObject fedpeft)
      throws IOException {
    LoraConfig lc = adapter.config();
    JsonObject fp = fedpeft.deepCopy();
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
}
