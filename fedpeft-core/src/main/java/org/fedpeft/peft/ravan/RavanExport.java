package org.fedpeft.peft.ravan;

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
 * Writes a Ravan (or Fed-SB) adapter in Hugging Face PEFT's LoRA format: per target module one LoRA
 * of rank h r with {@code lora_A} = the stacked A_i, {@code lora_B} = [s_1 B_1 H_1 ... s_h B_h H_h]
 * and {@code lora_alpha} = h r (scaling 1), so that a tool loading it computes the update {@code
 * sum_i s_i B_i H_i A_i x} of the adapter (without dropout).
 */
public final class RavanExport {

  private RavanExport() {}

  /**
   * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} into {@code dir}.
   *
   * @param baseModel the config's {@code base_model_name_or_path} ({@code
   *     AdapterFiles.peftBaseModel})
   * @param fedpeft the {@code fedpeft} object of the config (head, labels, extra); the method and
   *     its options are added to it
   */
  public static void write(Path dir, RavanAdapter adapter, String baseModel, JsonObject fedpeft)
      throws IOException {
    RavanConfig c = adapter.config();
    int rank = c.heads() * c.rank();
    JsonObject fp = fedpeft.deepCopy();
    fp.addProperty("method", c.method());
    JsonObject opts = new JsonObject();
    c.toOptions().forEach(opts::addProperty);
    fp.add("options", opts);
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    List<String> modules = new ArrayList<>();
    for (var e : adapter.asLora().entrySet()) {
      String module = e.getKey(); // encoder.layer.N.<path>
      String[] bits = module.split("\\.", 4);
      int layer = Integer.parseInt(bits[2]);
      tensors.put(PeftNames.loraKey(layer, bits[3], PeftNames.LORA_A), e.getValue()[0]);
      tensors.put(PeftNames.loraKey(layer, bits[3], PeftNames.LORA_B), e.getValue()[1]);
      modules.add(module);
    }
    PeftAdapterConfig cfg =
        PeftAdapterConfig.builder(rank, rank, modules)
            .taskType("FEATURE_EXTRACTION")
            .loraDropout(c.dropout())
            .baseModelNameOrPath(baseModel)
            .fedpeft(fp)
            .build();
    PeftAdapterFiles.write(dir, cfg, tensors);
  }
}
