package org.fedpeft.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The run's config as {@code server}, {@code client} and {@code node} take it: CONFIG, the run's
 * TOML, and {@code --set} overrides of its keys (the clients give the server's, so that every side
 * runs the same config).
 */
final class RunConfigArgs {

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG", description = "The run's TOML.")
  Path file;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key.")
  Map<String, String> overrides = new LinkedHashMap<>();

  /** Whether CONFIG or any --set was given. */
  boolean given() {
    return file != null || !overrides.isEmpty();
  }
}
