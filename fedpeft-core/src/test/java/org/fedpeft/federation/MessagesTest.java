package org.fedpeft.federation;

import static org.fedpeft.federation.Fx.vec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MessagesTest {

  @Test
  void fitInstructionsRoundTripAndSize() {
    FitInstructions in =
        new FitInstructions(
            "client 7/ü",
            3,
            Fx.tensors("m.lora_B", Fx.mat(2, 1, 1, 2), "head", vec(3)),
            Map.of(ConfigKeys.LOCAL_STEPS, "50", ConfigKeys.LEARNING_RATE, "3.0E-4"));
    byte[] b = in.toBytes();
    assertEquals(b.length, in.serializedSize());
    FitInstructions back = FitInstructions.fromBytes(b, "down");
    assertEquals(in, back);
    assertEquals(50, back.configInt(ConfigKeys.LOCAL_STEPS, 1));
    assertEquals(3e-4, back.configDouble(ConfigKeys.LEARNING_RATE, 0));
    assertEquals(9L, back.configLong(ConfigKeys.SEED, 9));
  }

  @Test
  void clientUpdateRoundTripKeepsMetricsExactly() {
    ClientUpdate u =
        new ClientUpdate(
            "a",
            Fx.tensors("w", vec(1, Float.NaN)),
            12,
            Map.of("train_loss", 0.1 + 0.2, "odd", Double.NaN, "inf", Double.NEGATIVE_INFINITY),
            Map.of("heads", "0,2", "budget", "0.5"));
    byte[] b = u.toBytes();
    assertEquals(b.length, u.serializedSize());
    ClientUpdate back = ClientUpdate.fromBytes(b, "up");
    assertEquals(u, back);
    assertEquals(0.1 + 0.2, back.metrics().get("train_loss"));
  }

  @Test
  void evaluateMessagesRoundTrip() {
    EvaluateInstructions in = new EvaluateInstructions("a", 0, Fx.tensors("w", vec(1)), Map.of());
    assertEquals(in, EvaluateInstructions.fromBytes(in.toBytes(), "x"));
    assertEquals(in.toBytes().length, in.serializedSize());
    EvaluateResult r = new EvaluateResult("a", 40, Map.of("accuracy", 0.75));
    assertEquals(r, EvaluateResult.fromBytes(r.toBytes(), "x"));
    assertEquals(r.toBytes().length, r.serializedSize());
  }

  @Test
  void aMessageOfAnotherKindIsRefused() {
    byte[] b = new FitInstructions("a", 1, Map.of(), Map.of()).toBytes();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ClientUpdate.fromBytes(b, "up from a"));
    assertEquals(
        "up from a: expected a client_update message but fedpeft.message is 'fit_instructions'",
        e.getMessage());
  }

  @Test
  void malformedConfigValuesNameTheKey() {
    FitInstructions in =
        new FitInstructions("a", 1, Map.of(), Map.of(ConfigKeys.LOCAL_STEPS, "many"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> in.configInt(ConfigKeys.LOCAL_STEPS, 1));
    assertTrue(e.getMessage().contains("'local_steps'"), e.getMessage());
  }
}
