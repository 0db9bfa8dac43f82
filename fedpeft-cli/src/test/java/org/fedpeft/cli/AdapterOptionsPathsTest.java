package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * QA, 5 December: a resumed {@code train} run resolved its data paths against the directory it was
 * started from (train.json's {@code cwd}) but not a relative {@code factors} file in {@code
 * --adapter-options}, which was then looked for in the directory of the resume. The options that
 * the method's option schema marks as paths are resolved there too ({@link
 * AdapterOptions#resolvePathsAgainst}); the others, an absolute path and a method without such
 * options are left as they are. Fails on the old code (no such resolution).
 */
class AdapterOptionsPathsTest {

  private static String resolved(String method, String options) {
    AdapterOptions a = new AdapterOptions();
    a.method = method;
    a.options = options;
    a.resolvePathsAgainst(Path.of("/runs/started-here"));
    return a.options;
  }

  @Test
  void aRelativeFactorsFileIsResolvedAgainstTheDirectoryTheRunStartedIn() {
    assertEquals(
        "heads=1,factors=/runs/started-here/f/factors.safetensors,rank=2",
        resolved("ravan", "heads=1,factors=f/../f/factors.safetensors,rank=2"));
    assertEquals(
        "factors=/runs/factors.safetensors", resolved("fed-sb", "factors=../factors.safetensors"));
    assertEquals("factors=/abs/f.safetensors", resolved("ravan", "factors=/abs/f.safetensors"));
    assertEquals("rank=4,targets=query", resolved("lora", "rank=4,targets=query"));
    assertEquals("", resolved("none", ""));
  }
}
