package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA (scale): after the last round of a method with LOCAL tensors, simulate saves each client's own
 * model ({@code clients/<client>/adapter}) with no progress: 1,264 FedSA-LoRA clients took 41 s of
 * silence on a busy machine (910 took 3.6 s on a quiet one) after the rounds bar said "took". It
 * draws a delayed {@code client adapters} bar ({@code Simulation.setClientAdapterProgress}), one
 * step per client; here its interval is 0, so every client draws a line and nothing depends on how
 * fast the test runs.
 */
class SimulateClientAdaptersProgressCliTest {

  @TempDir Path tmp;

  @Test
  void savingEachClientsModelDrawsABarCountingTheClients() throws Exception {
    Path out = tmp.resolve("run");
    long before = ProgressBar.lineIntervalNanos;
    CliRun.Result r;
    try {
      ProgressBar.lineIntervalNanos = 0;
      r =
          CliRun.run(
              "simulate",
              ReportRuns.config().toString(),
              "--set",
              "adapter.method=fedsa-lora",
              "--set",
              "server.strategy=fedavg",
              "--set",
              "rounds=1",
              "--set",
              "clients_per_round=8",
              "--set",
              "eval.every=1",
              "--out",
              out.toString());
    } finally {
      ProgressBar.lineIntervalNanos = before;
    }
    assertEquals(0, r.code(), r.err());
    try (var s = Files.list(out.resolve("clients"))) {
      assertEquals(8, s.count(), "every client trained, so every client has its own model");
    }
    List<String> bar = r.err().lines().filter(l -> l.startsWith("client adapters [")).toList();
    assertEquals(
        IntStream.rangeClosed(1, 8).mapToObj(k -> k + "/8").toList(),
        bar.stream()
            .map(l -> l.replaceFirst("^client adapters \\[[=> ]{24}\\] (\\d+/8) .*", "$1"))
            .toList(),
        r.err());
    assertTrue(bar.get(7).matches(".* 8/8 +took \\d+:\\d\\d"), bar.get(7));
  }
}
