package org.fedpeft.peft.dual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.lora.LoraConfig;
import org.junit.jupiter.api.Test;

/** {@link PersonalLoraAdapter}'s own check, and why options never reach it. */
class PersonalLoraAdapterTest {

  /**
   * QA, 5 December: the check that both LoRA factors are trained said "fedlora: ...", as if it
   * judged an option; options never reach it (below), so it is an argument check naming the field.
   * Fails on the old code.
   */
  @Test
  void aLoraThatDoesNotTrainAIsAnArgumentErrorNamingTheField() {
    LoraConfig frozenA = new LoraConfig(8, 16f, 0f, List.of("query"), false);
    for (PersonalLoraAdapter.Sharing sharing : PersonalLoraAdapter.Sharing.values()) {
      assertEquals(
          "PersonalLoraAdapter: config.trainA must be true ("
              + sharing.method()
              + " trains both LoRA factors), got false",
          assertThrows(
                  IllegalArgumentException.class,
                  () -> new PersonalLoraAdapter(sharing, frozenA, null, 1))
              .getMessage());
    }
  }

  /** Why the check above is unreachable from options: train_a is refused first, by the schema. */
  @Test
  void trainAIsNotAnOptionOfEitherMethod() {
    for (PersonalLoraAdapter.Sharing sharing : PersonalLoraAdapter.Sharing.values()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> AdapterRegistry.get(sharing.method()).validate(Map.of("train_a", "false")));
      assertTrue(e.getMessage().contains("train_a"), e.getMessage());
      assertTrue(e.getMessage().startsWith(sharing.method()), e.getMessage());
    }
  }
}
