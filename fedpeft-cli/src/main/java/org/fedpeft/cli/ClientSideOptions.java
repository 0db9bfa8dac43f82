package org.fedpeft.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.fedpeft.config.ConfigException;
import org.fedpeft.run.SimulationConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code client} and {@code node} share: the server's run (CONFIG and --set), the server's
 * address (--server) and the folder of the hosted clients' LOCAL state (--state).
 */
final class ClientSideOptions {

  @Mixin RunConfigArgs config;

  @Option(
      names = "--server",
      required = true,
      paramLabel = "HOST:PORT",
      description = "The server's address, as named in its certificate.")
  String server;

  @Option(
      names = "--state",
      required = true,
      paramLabel = "DIR",
      description = "Folder for the clients' LOCAL state (written atomically).")
  Path state;

  /** Loads the run's config (the server's TOML with the same --set overrides). */
  SimulationConfig loadConfig() {
    SimulateCommand.requireConfigFile(config.file, null);
    try {
      return SimulationConfig.load(config.file, config.overrides);
    } catch (ConfigException | IOException e) {
      throw new UserInputException(e.getMessage(), e);
    }
  }
}
