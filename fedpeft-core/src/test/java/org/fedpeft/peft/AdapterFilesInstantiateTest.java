package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.TinyModels;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/**
 * QA, 5 December: {@link AdapterFiles#instantiate} closed the adapter it had created when a saved
 * role was wrong or the loaded adapter could not compute its model, but not when loading the saved
 * tensors failed (a tensor of another shape, one the adapter does not have): the adapter's arrays
 * stayed allocated until the encoder's manager closed.
 */
class AdapterFilesInstantiateTest {

  @Test
  void anAdapterWhoseSavedTensorsDoNotLoadIsClosed() throws Exception {
    Map<String, String> options = Map.of("rank", "2");
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder enc = new BertEncoder(TinyModels.tiny(3).weights(), root)) {
      Map<String, HostTensor> state;
      try (Adapter a = AdapterRegistry.get("lora").create(options, enc, 1)) {
        state = new LinkedHashMap<>(a.state());
      }
      int before = root.getManagedArrays().size();
      String first = state.keySet().iterator().next();
      Map<String, HostTensor> misshapen = new LinkedHashMap<>(state);
      misshapen.put(first, HostTensor.zeros(1, 1));
      Map<String, HostTensor> unknown = new LinkedHashMap<>(state);
      unknown.put("encoder.layer.0.nothing.lora_A", HostTensor.zeros(1, 1));
      for (Map<String, HostTensor> tensors : List.of(misshapen, unknown)) {
        AdapterFiles.Saved saved =
            new AdapterFiles.Saved(
                "lora",
                options,
                1,
                Map.of(),
                tensors,
                Map.of(),
                List.of("a", "b"),
                null,
                new JsonObject(),
                1,
                Map.of(),
                null);
        assertThrows(
            IllegalArgumentException.class,
            () -> AdapterFiles.instantiate(Path.of("adapter"), saved, enc));
        assertEquals(before, root.getManagedArrays().size(), "the adapter's arrays were freed");
      }
    }
  }
}
