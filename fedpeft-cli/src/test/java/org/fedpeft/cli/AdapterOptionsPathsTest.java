package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * QA, 5 December: a resumed {@code train} run resolved its data paths against the directory it was
 * started from (train.json's {@code cwd}) but not a relative {@code factors} file in {@code
 * --adapter-options}, which was then looked for in the directory of the resume. The options that
 * the method's option schema marks as paths are resolved there too ({@link
 * AdapterOptions#resolvePathsAgainst}); the others, an absolute path and a method without such
 * options are left as they are. Fails on the old code (no such resolution).
 *
 * <p>QA, 5 December: the resolved options were written back as {@code k=v,...}, so a ',' of the
 * directory ({@code /runs/a,b}) split the factors path there and the options no longer parsed. They
 * are kept as a map now, and {@code --adapter-options} as given. Fails on the old code.
 */
class AdapterOptionsPathsTest {

  private static Map<String, String> resolved(String dir, String method, String options) {
    AdapterOptions a = new AdapterOptions();
    a.method = method;
    a.options = options;
    a.resolvePathsAgainst(Path.of(dir));
    assertEquals(options, a.options, "--adapter-options as given");
    return a.parsedOptions();
  }

  private static Map<String, String> resolved(String method, String options) {
    return resolved("/runs/started-here", method, options);
  }

  @Test
  void aRelativeFactorsFileIsResolvedAgainstTheDirectoryTheRunStartedIn() {
    assertEquals(
        Map.of("heads", "1", "factors", "/runs/started-here/f/factors.safetensors", "rank", "2"),
        resolved("ravan", "heads=1,factors=f/../f/factors.safetensors,rank=2"));
    assertEquals(
        Map.of("factors", "/runs/factors.safetensors"),
        resolved("fed-sb", "factors=../factors.safetensors"));
    assertEquals(
        Map.of("factors", "/abs/f.safetensors"), resolved("ravan", "factors=/abs/f.safetensors"));
    assertEquals(Map.of("rank", "4", "targets", "query"), resolved("lora", "rank=4,targets=query"));
    assertEquals(Map.of(), resolved("none", ""));
  }

  @Test
  void aCommaInTheDirectoryTheRunStartedInStaysInTheFactorsPath() {
    assertEquals(
        Map.of("heads", "1", "factors", "/runs/a,b/factors.safetensors", "rank", "2"),
        resolved("/runs/a,b", "ravan", "heads=1,factors=factors.safetensors,rank=2"));
  }
}
