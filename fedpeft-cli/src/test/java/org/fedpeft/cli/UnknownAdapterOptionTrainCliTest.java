package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of the methods, 4 December: train's unknown adapter option said "lora: unknown option
 * 'ranks'", the method's own wording, where the other option errors name --adapter-options. It
 * names the flag, the value and the method now, with the nearest options (ConfigSchema's hint, the
 * one place that words it), before the run folder or the model.
 */
class UnknownAdapterOptionTrainCliTest {

  @TempDir Path tmp;

  private CliRun.Result train(String method, String options) {
    return CliRun.trainWithoutModel(tmp, method, options);
  }

  @Test
  void anUnknownOptionNamesTheFlag() {
    CliRun.Result r = train("lora", "ranks=4");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft train: --adapter-options ranks=4: --adapter lora has no option 'ranks' (did you"
            + " mean 'rank'?)",
        r.err().strip());
    assertFalse(Files.exists(tmp.resolve("out")));

    r = train("lora", "rank=4,colour=red");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft train: --adapter-options colour=red: --adapter lora has no option 'colour'"
            + " (options: rank, alpha, dropout, targets, train_a)",
        r.err().strip());
  }
}
