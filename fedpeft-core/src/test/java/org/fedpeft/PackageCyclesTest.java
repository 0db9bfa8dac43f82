package org.fedpeft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedpeft.testing.PackageCycles;
import org.junit.jupiter.api.Test;

/**
 * fedpeft-core's packages depend on each other without cycles but the known ones below (none now),
 * read by jdeps from the module's main classes: a generic package ({@code peft}, {@code io}, {@code
 * model}) that reaches back into a specific one ({@code peft.lora}, ...) fails here, naming the
 * cycle and the classes that make its edges. The list may only shrink: a known cycle that is gone
 * fails too, until it is taken off the list.
 */
class PackageCyclesTest {

  /**
   * The cycles fedpeft-core still has: none. The last two went as follows. {@code run} and {@code
   * simulation}: the run's config ({@code SimulationConfig} and its sections), {@code RunManifest}
   * and {@code PausePoint} moved to {@code run}, which the simulation uses. {@code heads}, {@code
   * peft} and {@code train}: the trainer uses heads and adapters, and a head is made of adapter
   * tensors ({@code train -> heads -> peft}); {@code PerExampleGradients}, which heads and adapters
   * implement, moved from {@code train} to {@code peft}; {@code EncodedExamples}, which {@code
   * peft.ClientContext} hands an adapter, from {@code train} to {@code model}; and a saved head's
   * layout is {@code heads.HeadLayout.of(AdapterFiles.Saved)} instead of a method of {@code
   * AdapterFiles.Saved}.
   */
  static final List<Set<String>> KNOWN = List.of();

  @Test
  void fedpeftCoreHasNoPackageCyclesButTheKnownOnes() {
    var graph = PackageCycles.graph(PackageCycles.jdeps(), Path.of("target", "classes"));
    assertTrue(graph.containsKey("peft.lora"), "jdeps found the packages: " + graph.keySet());
    List<String> problems = PackageCycles.problems(graph, KNOWN, "fedpeft-core");
    assertTrue(problems.isEmpty(), String.join("\n\n", problems));
  }

  /** A cycle made on purpose in a copy of the graph is reported with the classes making it. */
  @Test
  void aNewCycleIsNamedWithTheClassesMakingItsEdges() {
    var graph = copy(PackageCycles.graph(PackageCycles.jdeps(), Path.of("target", "classes")));
    // io -> model as PeftNames, in io, made it with model.BertWeights before it moved to peft.
    graph.get("io").put("model", new TreeSet<>(Set.of("PeftNames>BertWeights")));
    List<String> problems = PackageCycles.problems(graph, KNOWN, "fedpeft-core");
    assertEquals(1, problems.size(), String.join("\n\n", problems));
    String p = problems.get(0);
    assertTrue(p.startsWith("fedpeft-core: a new package cycle [io, model] "), p);
    assertTrue(p.contains("\n  io -> model: PeftNames>BertWeights"), p);
    assertTrue(p.contains("\n  model -> io: BertConfig>JsonFileException, "), p);
  }

  /** A known cycle that is gone is reported, so that the list only shrinks. */
  @Test
  void aKnownCycleThatIsGoneIsReported() {
    var graph = PackageCycles.graph(PackageCycles.jdeps(), Path.of("target", "classes"));
    // run -> simulation went away when the run's config moved to run; listed, it is reported.
    List<Set<String>> known = new ArrayList<>(KNOWN);
    known.add(Set.of("run", "simulation"));
    List<String> problems = PackageCycles.problems(graph, known, "fedpeft-core");
    assertEquals(1, problems.size(), String.join("\n\n", problems));
    assertTrue(problems.get(0).contains("the known cycle [run, simulation]"), problems.get(0));
  }

  private static Map<String, Map<String, Set<String>>> copy(
      Map<String, Map<String, Set<String>>> graph) {
    Map<String, Map<String, Set<String>>> c = new TreeMap<>();
    graph.forEach(
        (from, uses) -> {
          Map<String, Set<String>> u = new TreeMap<>();
          uses.forEach((to, classes) -> u.put(to, new TreeSet<>(classes)));
          c.put(from, u);
        });
    return c;
  }
}
