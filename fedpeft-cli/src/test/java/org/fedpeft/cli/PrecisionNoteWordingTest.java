package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.fedpeft.model.Precision;
import org.fedpeft.peft.AdapterFiles;
import org.junit.jupiter.api.Test;

/**
 * QA, 3 December: the precision note said "trained with a fp32 frozen base"; it reads "an fp32", "a
 * bf16".
 */
class PrecisionNoteWordingTest {

  private static AdapterFiles.Saved trainedIn(Precision p) {
    return new AdapterFiles.Saved(
        "lora", Map.of(), 0, Map.of(), Map.of(), Map.of(), List.of(), null, null, 1, Map.of(), p);
  }

  @Test
  void theArticleFitsThePrecision() {
    assertEquals(
        "note: this adapter was trained with an fp32 frozen base (this command computes in"
            + " bf16); --precision fp32 reproduces the run's figures",
        AdapterModelOption.precisionNote(trainedIn(Precision.FP32), Precision.BF16));
    assertEquals(
        "note: this adapter was trained with a bf16 frozen base (this command computes in"
            + " fp32); --precision bf16 reproduces the run's figures",
        AdapterModelOption.precisionNote(trainedIn(Precision.BF16), Precision.FP32));
  }
}
