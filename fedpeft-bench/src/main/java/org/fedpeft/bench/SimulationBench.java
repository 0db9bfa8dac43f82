package org.fedpeft.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;

/**
 * Simulation overhead and memory per simulated client (docs/benchmarks.md, its simulation overhead
 * row).
 *
 * <p>Usage: {@code SimulationBench [OUT_DIR [ROUNDS]]} (defaults {@code bench-out/simulation}, 3
 * rounds). Runs the default model and adapter (MiniLM + LoRA r=8) with 100 clients, 10 per round,
 * and reports the overhead fraction (round wall time minus client training time, over round wall
 * time) from timings.jsonl, then builds populations of 100 and 1000 clients on the same data and
 * reports heap and resident memory per client.
 */
public final class SimulationBench {

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "bench-out/simulation");
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Map<String, String> common =
        Map.of(
            "data.max_train", "8000",
            "data.max_eval", "200",
            "data.partition", "iid",
            "client.local_steps", "5",
            "eval.every", "1000",
            "eval.clients", "10");
    java.util.Map<String, String> o = new java.util.HashMap<>(common);
    o.put("clients", "100");
    o.put("clients_per_round", "10");
    o.put("rounds", Integer.toString(rounds));
    Path run = out.resolve("overhead");
    BenchSupport.deleteTree(run);
    try (Simulation sim = Simulation.create(SimulationConfig.of(Map.of(), o, "bench"), run)) {
      sim.run(new Simulation.Listener() {});
    }
    double round = 0;
    double fit = 0;
    for (String line : Files.readAllLines(run.resolve("timings.jsonl"))) {
      var j = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
      round += j.get("round_seconds").getAsDouble();
      fit += j.get("client_fit_seconds").getAsDouble();
    }
    System.out.printf(
        Locale.ROOT,
        "overhead: 100 clients, 10 per round, %d rounds: round time %.2f s, client training %.2f"
            + " s, overhead fraction %.4f%n",
        rounds,
        round,
        fit,
        (round - fit) / round);

    long[] heap = new long[2];
    long[] rss = new long[2];
    List<Integer> sizes = List.of(100, 1000);
    for (int i = 0; i < 2; i++) {
      java.util.Map<String, String> p = new java.util.HashMap<>(common);
      p.put("clients", Integer.toString(sizes.get(i)));
      p.put("clients_per_round", "10");
      p.put("rounds", "1");
      Path dir = out.resolve("memory-" + sizes.get(i));
      BenchSupport.deleteTree(dir);
      try (Simulation sim = Simulation.create(SimulationConfig.of(Map.of(), p, "bench"), dir)) {
        System.gc();
        Thread.sleep(200);
        System.gc();
        heap[i] = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        rss[i] = BenchSupport.rssBytes();
        System.out.printf(
            Locale.ROOT,
            "%d clients built: heap %.1f MB, RSS %.1f MB (clients hold %d examples)%n",
            sizes.get(i),
            heap[i] / 1e6,
            rss[i] / 1e6,
            sim.clients().stream().mapToInt(c -> c.train().size() + c.holdout().size()).sum());
      }
    }
    System.out.printf(
        Locale.ROOT,
        "per simulated client (idle, between rounds): heap %.1f kB, native/RSS %.1f kB%n",
        (heap[1] - heap[0]) / 900.0 / 1e3,
        (rss[1] - rss[0]) / 900.0 / 1e3);
  }
}
