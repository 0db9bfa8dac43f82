package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * QA, 5 December: with a JDK of 23 or later (README says "a JDK 17+"), javac's lint reports a
 * documentation comment that no declaration follows, and the build's {@code -Werror} made that a
 * build failure; JDK 17, the one CI runs, has no such lint. Five had crept in: a comment left above
 * another method's comment, or between {@code @Override} and its method. This scan of every
 * module's sources finds those shapes, so that the build keeps working on newer JDKs.
 */
class DocCommentPlacementTest {

  /** Where a documentation comment is followed by what cannot carry it, as "file:line what". */
  static List<String> misplaced(Path file, List<String> lines) {
    List<String> found = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      boolean annotation = line.matches("@[A-Za-z][A-Za-z0-9_.]*(\\(.*\\))?");
      int end = i;
      if (line.startsWith("/**")) {
        while (end < lines.size() && !lines.get(end).contains("*/")) {
          end++;
        }
      } else if (!annotation) {
        continue;
      }
      int next = end + 1;
      while (next < lines.size() && lines.get(next).isBlank()) {
        next++;
      }
      if (next >= lines.size()) {
        continue;
      }
      String after = lines.get(next).strip();
      if (after.startsWith("/**")) {
        found.add(
            file
                + ":"
                + (i + 1)
                + (annotation
                    ? " an annotation before a documentation comment"
                    : " a documentation comment followed by another"));
      } else if (!annotation && after.startsWith("}")) {
        found.add(file + ":" + (i + 1) + " a documentation comment at the end of a block");
      }
      i = end;
    }
    return found;
  }

  @Test
  void everyDocumentationCommentDocumentsADeclaration() throws IOException {
    List<String> found = new ArrayList<>();
    int files = 0;
    Path root = Path.of("..");
    for (String module : List.of("fedpeft-core", "fedpeft-grpc", "fedpeft-cli", "fedpeft-bench")) {
      for (String set : List.of("main", "test")) {
        Path dir = root.resolve(module).resolve("src").resolve(set).resolve("java");
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
          for (Path f : walk.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
            found.addAll(misplaced(root.relativize(f), Files.readAllLines(f)));
            files++;
          }
        }
      }
    }
    assertTrue(files > 500, "the scan found the sources: " + files + " files");
    assertEquals(List.of(), found, "documentation comments that document nothing");
  }

  @Test
  void theScanFindsEachShape() {
    Path f = Path.of("X.java");
    assertEquals(
        List.of(
            "X.java:2 a documentation comment followed by another",
            "X.java:6 an annotation before a documentation comment",
            "X.java:9 a documentation comment at the end of a block"),
        misplaced(
            f,
            List.of(
                "class X {",
                "  /** Orphan. */",
                "",
                "  /**",
                "   * Kept. */",
                "  @Override",
                "  /** Orphan too. */",
                "  public String toString() { return \"\"; }",
                "  /** Last. */",
                "}")));
    assertEquals(
        List.of(),
        misplaced(f, List.of("  /** Fine. */", "  @Test", "  @Tag(\"slow\")", "  void t() {}")));
  }
}
