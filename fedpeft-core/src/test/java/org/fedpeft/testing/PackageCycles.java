package org.fedpeft.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;

/**
 * The package dependency graph of a module's compiled classes, as {@code jdeps -verbose:class
 * -filter:none} reports it, and its cycles: each strongly connected component of more than one
 * package, with the classes that make each of its edges. The tests of each module keep a short list
 * of the cycles it has ({@link #problems}): a new one fails them, and so does one that is gone and
 * still listed, so that the list only shrinks.
 */
public final class PackageCycles {

  private static final String ROOT = "org.fedpeft.";

  /** {@code org.fedpeft.a.B -> org.fedpeft.c.D classes}: one class-level dependency. */
  private static final Pattern CLASS_EDGE = Pattern.compile("\\s+(\\S+)\\s+->\\s+(\\S+)(\\s.*)?");

  private PackageCycles() {}

  /**
   * The jdeps of the running JDK; the calling test is skipped, saying why, if the JDK has none (a
   * JRE has none): package cycles are then not checked.
   */
  public static ToolProvider jdeps() {
    Optional<ToolProvider> jdeps = ToolProvider.findFirst("jdeps");
    assumeTrue(
        jdeps.isPresent(),
        "jdeps is not in the running JDK ("
            + System.getProperty("java.home")
            + "): package cycles are not checked");
    return jdeps.get();
  }

  /**
   * The dependencies between fedpeft's packages among the classes of folder {@code classes}: for
   * each pair (package, package it uses), the class dependencies that make it, as {@code
   * Class>UsedClass}. Packages are named without {@code org.fedpeft.}; a package's uses of itself
   * are left out.
   *
   * @throws IllegalStateException if jdeps fails, with its output
   */
  public static Map<String, Map<String, Set<String>>> graph(ToolProvider jdeps, Path classes) {
    if (!Files.isDirectory(classes)) {
      throw new IllegalStateException(classes + " is not a folder of compiled classes");
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status;
    try (PrintWriter o = new PrintWriter(out);
        PrintWriter e = new PrintWriter(err)) {
      status = jdeps.run(o, e, "-verbose:class", "-filter:none", classes.toString());
    }
    if (status != 0) {
      throw new IllegalStateException("jdeps exited with " + status + ":\n" + err + out);
    }
    Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
    for (String line : out.toString().split("\\R")) {
      Matcher m = CLASS_EDGE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      String from = m.group(1);
      String to = m.group(2);
      if (!from.startsWith(ROOT) || !to.startsWith(ROOT)) {
        continue;
      }
      String fromPackage = packageOf(from);
      String toPackage = packageOf(to);
      graph.computeIfAbsent(fromPackage, k -> new TreeMap<>());
      graph.computeIfAbsent(toPackage, k -> new TreeMap<>());
      if (!fromPackage.equals(toPackage)) {
        graph
            .get(fromPackage)
            .computeIfAbsent(toPackage, k -> new TreeSet<>())
            .add(simpleName(from) + ">" + simpleName(to));
      }
    }
    return graph;
  }

  /** The package of a class name, without {@code org.fedpeft.}. */
  private static String packageOf(String className) {
    return className.substring(ROOT.length(), className.lastIndexOf('.'));
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  /**
   * The cycles of {@code graph}: its strongly connected components of two packages or more, each as
   * the sorted set of its packages, in the order of their first package.
   */
  public static List<Set<String>> cycles(Map<String, Map<String, Set<String>>> graph) {
    // Tarjan's algorithm, iterative (one frame per package on the path).
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new HashSet<>();
    List<Set<String>> found = new ArrayList<>();
    for (String start : graph.keySet()) {
      if (index.containsKey(start)) {
        continue;
      }
      Deque<Map.Entry<String, List<String>>> path = new ArrayDeque<>();
      visit(start, graph, index, low, stack, onStack, path);
      while (!path.isEmpty()) {
        String v = path.peek().getKey();
        List<String> next = path.peek().getValue();
        if (!next.isEmpty()) {
          String w = next.remove(0);
          if (!index.containsKey(w)) {
            visit(w, graph, index, low, stack, onStack, path);
          } else if (onStack.contains(w)) {
            low.put(v, Math.min(low.get(v), index.get(w)));
          }
          continue;
        }
        path.pop();
        if (!path.isEmpty()) {
          String parent = path.peek().getKey();
          low.put(parent, Math.min(low.get(parent), low.get(v)));
        }
        if (low.get(v).equals(index.get(v))) {
          Set<String> component = new TreeSet<>();
          String w;
          do {
            w = stack.pop();
            onStack.remove(w);
            component.add(w);
          } while (!w.equals(v));
          if (component.size() > 1) {
            found.add(component);
          }
        }
      }
    }
    found.sort((a, b) -> a.iterator().next().compareTo(b.iterator().next()));
    return found;
  }

  private static void visit(
      String v,
      Map<String, Map<String, Set<String>>> graph,
      Map<String, Integer> index,
      Map<String, Integer> low,
      Deque<String> stack,
      Set<String> onStack,
      Deque<Map.Entry<String, List<String>>> path) {
    index.put(v, index.size());
    low.put(v, index.get(v));
    stack.push(v);
    onStack.add(v);
    path.push(Map.entry(v, new ArrayList<>(graph.get(v).keySet())));
  }

  /**
   * What is wrong with the cycles of {@code graph} against the {@code known} ones, one paragraph
   * each; empty when every cycle lies inside a known one and every known one is still a cycle of
   * exactly those packages. A new cycle is named with each of its edges and the classes making
   * them.
   */
  public static List<String> problems(
      Map<String, Map<String, Set<String>>> graph, List<Set<String>> known, String module) {
    List<Set<String>> found = cycles(graph);
    List<String> problems = new ArrayList<>();
    for (Set<String> cycle : found) {
      if (known.stream().noneMatch(k -> k.containsAll(cycle))) {
        StringBuilder b =
            new StringBuilder(
                module
                    + ": a new package cycle "
                    + cycle
                    + " (break it: move the class to the package it belongs to, or invert the"
                    + " dependency through an interface); its edges:");
        for (String from : cycle) {
          for (var e : graph.get(from).entrySet()) {
            if (cycle.contains(e.getKey())) {
              b.append("\n  ")
                  .append(from)
                  .append(" -> ")
                  .append(e.getKey())
                  .append(": ")
                  .append(String.join(", ", e.getValue()));
            }
          }
        }
        problems.add(b.toString());
      }
    }
    for (Set<String> k : known) {
      if (!found.contains(k)) {
        problems.add(
            module
                + ": the known cycle "
                + new TreeSet<>(k)
                + " is not one any more (the cycles now: "
                + found
                + "); shrink the list of known cycles to what is left");
      }
    }
    return problems;
  }
}
