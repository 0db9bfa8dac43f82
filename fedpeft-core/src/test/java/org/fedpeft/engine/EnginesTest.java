package org.fedpeft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class EnginesTest {

  @Test
  void pytorchEngineStartsOffline() {
    Engine engine = Engines.pytorch();
    assertEquals("PyTorch", engine.getEngineName());
    assertEquals("true", System.getProperty("ai.djl.offline"));
    assertTrue(engine.getVersion().startsWith("2.7.1"), engine.getVersion());
    try (NDManager m = engine.newBaseManager()) {
      NDArray a = m.create(new float[] {1, 2, 3, 4}).reshape(2, 2);
      NDArray b = a.matMul(a);
      assertEquals(7f, b.getFloat(0, 0));
      assertEquals(22f, b.getFloat(1, 1));
    }
  }
}
