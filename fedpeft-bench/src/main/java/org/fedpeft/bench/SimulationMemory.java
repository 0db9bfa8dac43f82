package org.fedpeft.bench;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.fedpeft.engine.Engines;
import org.fedpeft.federation.RoundReport;
import org.fedpeft.run.SimulationConfig;
import org.fedpeft.simulation.Simulation;

/**
 * Memory over the rounds of a simulation: after every round, a full GC, then the live NDArrays in
 * the whole DJL manager tree (count and bytes), the Java heap in use, and the process's resident
 * memory. A leak shows as a count or native figure that grows round after round.
 *
 * <p>Usage: {@code SimulationMemory OUT_DIR CONFIG.toml [KEY=VALUE ...]}.
 */
public final class SimulationMemory {

  public static void main(String[] args) throws Exception {
    BenchSupport.Args cli =
        BenchSupport.Args.of(
            args, 2, Integer.MAX_VALUE, "SimulationMemory OUT_DIR CONFIG.toml [KEY=VALUE ...]");
    Path out = Path.of(args[0]);
    cli.file(1, "CONFIG.toml");
    for (int i = 2; i < args.length; i++) {
      if (!args[i].contains("=")) {
        cli.refuse("'" + args[i] + "' is not KEY=VALUE");
      }
    }
    Map<String, String> overrides = BenchSupport.overrides(args, 2);
    BenchSupport.deleteTree(out);
    SimulationConfig config = SimulationConfig.load(Path.of(args[1]), overrides);
    Field resources = BaseNDManager.class.getDeclaredField("resources");
    resources.setAccessible(true);
    NDManager probe = Engines.pytorch().newBaseManager();
    NDManager system = probe.getParentManager();
    probe.close();
    try (Simulation sim = Simulation.create(config, out)) {
      sim.run(
          new Simulation.Listener() {
            @Override
            public void onRound(RoundReport report, Map<String, Object> line) {
              System.gc();
              try {
                Thread.sleep(300);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              System.gc();
              long[] live = new long[3]; // arrays, bytes, managers
              long rss;
              try {
                walk(system, resources, live);
                rss = BenchSupport.rssBytes();
              } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
              }
              Runtime rt = Runtime.getRuntime();
              System.out.printf(
                  Locale.ROOT,
                  "round %d: live NDArrays %d (%.1f MB) in %d managers, heap used %.1f MB"
                      + " (committed %.1f MB), RSS %.1f MB%n",
                  report.round(),
                  live[0],
                  live[1] / 1e6,
                  live[2],
                  (rt.totalMemory() - rt.freeMemory()) / 1e6,
                  rt.totalMemory() / 1e6,
                  rss / 1e6);
            }
          });
    }
  }

  private static void walk(NDManager m, Field resources, long[] live)
      throws IllegalAccessException {
    live[2]++;
    @SuppressWarnings("unchecked")
    Map<String, AutoCloseable> r = (Map<String, AutoCloseable>) resources.get(m);
    for (AutoCloseable c : r.values()) {
      if (c instanceof NDArray a) {
        live[0]++;
        live[1] += a.getShape().size() * a.getDataType().getNumOfBytes();
      } else if (c instanceof BaseNDManager sub) {
        walk(sub, resources, live);
      }
    }
  }
}
