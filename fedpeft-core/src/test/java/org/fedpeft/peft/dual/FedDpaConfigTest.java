package org.fedpeft.peft.dual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.fedpeft.peft.lora.LoraConfig;
import org.junit.jupiter.api.Test;

/** {@link FedDpaConfig}'s own checks. */
class FedDpaConfigTest {

  /**
   * QA, 5 December: the check that both LoRA factors are trained said "feddpa: ...", as if it
   * judged an option; options never reach it (train_a is not a FedDPA option, and the schema
   * refuses it first, in the method's name), so it is an argument check naming the field and no
   * method. Fails on the old code.
   */
  @Test
  void aLoraThatDoesNotTrainAIsAnArgumentErrorNamingTheField() {
    FedDpaConfig d = FedDpaConfig.DEFAULT;
    LoraConfig frozenA = new LoraConfig(8, 16f, 0f, List.of("query"), false);
    assertEquals(
        "FedDpaConfig: lora.trainA must be true (FedDPA trains both LoRA factors), got false",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    new FedDpaConfig(
                        frozenA,
                        d.variant(),
                        d.localWeight(),
                        d.localShare(),
                        d.finetuneEpochs(),
                        d.instances(),
                        d.maxWeight(),
                        d.weightGoesTo(),
                        d.embedding()))
            .getMessage());
  }

  /** Why the check above is unreachable from options: train_a is refused before it. */
  @Test
  void trainAIsNotAnOption() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FedDpaConfig.fromOptions(Map.of("train_a", "false")));
    assertEquals(true, e.getMessage().startsWith("feddpa"), e.getMessage());
    assertEquals(true, e.getMessage().contains("train_a"), e.getMessage());
    assertEquals(true, FedDpaConfig.fromOptions(Map.of()).lora().trainA());
  }
}
