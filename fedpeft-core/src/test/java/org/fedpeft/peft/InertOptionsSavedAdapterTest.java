package org.fedpeft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inert options are refused where the user gives them, never where an adapter is rebuilt: softembed
 * saves its rank under every form, FedDPA every option under either variant, so a saved adapter
 * made with the defaults holds options its method calls inert, and it still loads.
 */
class InertOptionsSavedAdapterTest {

  @Test
  void savedAdaptersHoldingInertOptionsStillLoad(@TempDir Path dir) throws Exception {
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder encoder = new BertEncoder(TinyModels.tiny(3).weights(), root)) {
      for (String method : List.of("softembed", "feddpa")) {
        AdapterMethod m = AdapterRegistry.get(method);
        Path folder = dir.resolve(method);
        try (Adapter a = m.create(Map.of(), encoder, 5)) {
          AdapterFiles.save(folder, a, 5, Map.of(), List.of("x", "y"), "tiny", null);
        }
        AdapterFiles.Saved saved = AdapterFiles.read(folder);
        // what a user giving these options now is refused for ...
        assertFalse(m.inertOptions(saved.options()).isEmpty(), method + ": " + saved.options());
        // ... loads from the saved folder
        try (Adapter back = AdapterFiles.instantiate(folder, saved, encoder)) {
          assertEquals(method, saved.method(), String.valueOf(back));
        }
      }
    }
  }
}
