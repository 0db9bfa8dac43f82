package org.fedpeft.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A German locale for a child process, built with {@code localedef} into a test's folder. */
final class GermanLocale {
  private GermanLocale() {}

  /**
   * Builds de_DE.UTF-8 in {@code locales} and returns the environment that selects it ({@code
   * LOCPATH}, {@code LC_ALL}, an empty {@code LANGUAGE}), or null if it cannot be built here.
   */
  static Map<String, String> build(Path locales) throws InterruptedException {
    try {
      Process def =
          new ProcessBuilder(
                  "localedef",
                  "-i",
                  "de_DE",
                  "-f",
                  "UTF-8",
                  locales.resolve("de_DE.UTF-8").toString())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!def.waitFor(2, TimeUnit.MINUTES) || def.exitValue() != 0) {
        def.destroyForcibly();
        return null;
      }
    } catch (IOException e) {
      return null;
    }
    return Map.of("LOCPATH", locales.toString(), "LC_ALL", "de_DE.UTF-8", "LANGUAGE", "");
  }
}
