package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.fedpeft.io.Safetensors;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 4 December: client-level DP with the default clip norm and noise multiplier on a small
 * federation (the README's main run: 4 clients per round) adds noise whose norm is tens of times
 * the largest averaged update, and the run stays at chance accuracy without a word. {@code
 * simulate} now warns at the start when the noise's expected norm on the averaged update, z sqrt(d)
 * C / m, exceeds the clip norm C.
 */
class ClientDpNoiseWarningCliTest {

  @TempDir Path tmp;

  private CliRun.Result simulate(String name, String... sets) throws Exception {
    Path model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    Path data = CliRun.animalsAndFood(tmp.resolve("train.jsonl"), 16);
    return CliRun.smallSimulate(
        tmp.resolve(name + ".toml"),
        tmp.resolve(name),
        model,
        data,
        "[privacy]\nmode = \"client\"\nnoise = \"seeded\"\n",
        sets);
  }

  @Test
  void noiseLargerThanTheClipNormIsWarnedAboutAtTheStart() throws Exception {
    CliRun.Result r = simulate("noisy");
    assertEquals(0, r.code(), r.err());
    // d: every number of the global model (the LoRA factors and the head), all of which get noise.
    long d = 0;
    Path adapter = tmp.resolve("noisy").resolve("adapter");
    for (String file : List.of(AdapterFiles.TENSORS_FILE, AdapterFiles.HEAD_FILE)) {
      for (HostTensor t : Safetensors.readFloatTensors(adapter.resolve(file)).values()) {
        d += t.data().length;
      }
    }
    // z = 1, m = 2 clients per round: the noise's norm is about sqrt(d) / 2 clip norms.
    String warning =
        String.format(
            Locale.ROOT,
            "warning: client-level DP noise on the averaged update is expected to have %.1f times"
                + " the norm of the largest averaged update, the clip norm (noise multiplier 1.00"
                + " x sqrt(%,d parameters) / 2 clients per round): the model will hardly learn;"
                + " about %,d clients per round would bring it to 1 (docs/config.md, Privacy)\n",
            Math.sqrt(d) / 2,
            d,
            (long) Math.ceil(Math.sqrt(d)));
    assertTrue(d > 4, "d = " + d);
    assertTrue(r.err().contains(warning), r.err());
    // Said once, before the first round.
    assertEquals(r.err().indexOf(warning), r.err().lastIndexOf(warning));
    assertTrue(r.err().indexOf(warning) < r.err().indexOf("rounds ["), r.err());
  }

  @Test
  void noiseBelowTheClipNormIsNotWarnedAbout() throws Exception {
    // z = 0.01: sqrt(d) / 200 of a clip norm, below 1 for d under 40,000.
    CliRun.Result r = simulate("quiet", "privacy.client.noise_multiplier=0.01");
    assertEquals(0, r.code(), r.err());
    assertFalse(r.err().contains("client-level DP noise"), r.err());
  }
}
