package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.fedpeft.testing.PackageCycles;
import org.junit.jupiter.api.Test;

/**
 * fedpeft-cli's and fedpeft-grpc's packages depend on each other without cycles, as jdeps reads
 * their main classes (fedpeft-core's are checked by its {@code PackageCyclesTest}); a new cycle
 * fails here, naming it and the classes that make its edges. Neither module has a known cycle.
 */
class PackageCyclesCliTest {

  private static final List<Set<String>> KNOWN = List.of();

  @Test
  void fedpeftCliHasNoPackageCycles() {
    var graph = PackageCycles.graph(PackageCycles.jdeps(), Path.of("target", "classes"));
    assertTrue(graph.containsKey("cli"), "jdeps found the packages: " + graph.keySet());
    List<String> problems = PackageCycles.problems(graph, KNOWN, "fedpeft-cli");
    assertTrue(problems.isEmpty(), String.join("\n\n", problems));
  }

  /** fedpeft-grpc's classes, which a build of fedpeft-cli compiles first (it depends on them). */
  @Test
  void fedpeftGrpcHasNoPackageCycles() {
    var graph =
        PackageCycles.graph(
            PackageCycles.jdeps(), Path.of("..", "fedpeft-grpc", "target", "classes"));
    assertTrue(graph.containsKey("grpc"), "jdeps found the packages: " + graph.keySet());
    List<String> problems = PackageCycles.problems(graph, KNOWN, "fedpeft-grpc");
    assertTrue(problems.isEmpty(), String.join("\n\n", problems));
  }
}
