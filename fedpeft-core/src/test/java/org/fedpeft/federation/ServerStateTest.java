package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.io.Safetensors;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerStateTest {

  @TempDir Path dir;

  static ServerState awkward() {
    float[] odd = {
      -0.0f, Float.MIN_VALUE, Float.MAX_VALUE, 1f / 3, Float.intBitsToFloat(0x7fc01234), 1e-39f
    };
    return new ServerState(
        17,
        Fx.tensors(
            "encoder.layer.0.attention.self.query.lora_A",
            new HostTensor(new long[] {2, 3}, odd),
            "head.weight",
            vec(1, 2),
            "scalar",
            new HostTensor(new long[0], new float[] {3.5f}),
            "empty",
            HostTensor.zeros(0)),
        Fx.tensors("opt/m/head.weight", vec(0.1f, -0.2f), "m.residual", vec(7)),
        Map.of(
            ServerState.STRATEGY_KEY,
            "fedavg",
            "dp.clip_norm",
            Double.toString(0.1 + 0.2),
            "json",
            "{\"a\": [1, 2], \"ü\": \"x\"}",
            "empty",
            ""));
  }

  @Test
  void bytesRoundTripExactly() {
    ServerState s = awkward();
    byte[] bytes = s.toBytes();
    ServerState back = ServerState.fromBytes(bytes, "state");
    assertEquals(s, back);
    assertArrayEquals(bytes, back.toBytes());
    assertEquals(s.fingerprint(), back.fingerprint());
    assertEquals(0.1 + 0.2, Double.parseDouble(back.extra().get("dp.clip_norm")));
    assertEquals(
        Float.floatToRawIntBits(Float.intBitsToFloat(0x7fc01234)),
        Float.floatToRawIntBits(
            back.global().get("encoder.layer.0.attention.self.query.lora_A").data()[4]));
  }

  @Test
  void fileRoundTripExactly() throws IOException {
    ServerState s = awkward();
    Path f = dir.resolve("checkpoint/server_state.safetensors");
    s.save(f);
    assertEquals(s, ServerState.load(f));
    assertArrayEquals(
        s.toBytes(), ServerState.fromBytes(Files.readAllBytes(f), "checkpoint").toBytes());
  }

  @Test
  void differentStatesHaveDifferentFingerprints() {
    ServerState s = awkward();
    ServerState t = s.toBuilder().putGlobal("head.weight", vec(1, 2.0000002f)).build();
    assertNotEquals(s.fingerprint(), t.fingerprint());
  }

  @Test
  void otherBytesAreRefusedClearly() {
    byte[] update = new ClientUpdate("a", Map.of("w", vec(1)), 1).toBytes();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ServerState.fromBytes(update, "x.st"));
    assertTrue(e.getMessage().startsWith("x.st: expected a server_state message"), e.getMessage());
    byte[] stray =
        Safetensors.serialize(
            Map.of("w", vec(1)),
            Map.of("fedpeft.message", "server_state", "format", "1", "round", "0"));
    e = assertThrows(IllegalArgumentException.class, () -> ServerState.fromBytes(stray, "y"));
    assertTrue(e.getMessage().contains("'w'"), e.getMessage());
    byte[] future =
        Safetensors.serialize(
            Map.of(), Map.of("fedpeft.message", "server_state", "format", "2", "round", "0"));
    assertThrows(IllegalArgumentException.class, () -> ServerState.fromBytes(future, "z"));
  }

  @Test
  void stateIsImmutable() {
    ServerState s = awkward();
    assertThrows(UnsupportedOperationException.class, () -> s.global().put("x", vec(1)));
    assertThrows(UnsupportedOperationException.class, () -> s.extra().put("x", "y"));
    assertThrows(IllegalArgumentException.class, () -> s.toBuilder().round(-1).build());
  }
}
