package org.fedpeft.simulation;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A run folder as {@code Simulation.create} leaves its inputs, written by hand so that a resume
 * test needs no model or data: config.json, and manifest.json recording the same config (and no
 * data).
 */
final class StartedRunFolder {

  private StartedRunFolder() {}

  /** Writes {@code run}'s config.json and manifest.json for {@code config}. */
  static void write(Path run, JsonObject config) throws IOException {
    Files.writeString(run.resolve("config.json"), config.toString());
    JsonObject manifest = new JsonObject();
    manifest.add("config", config);
    manifest.add("data", new JsonObject());
    Files.writeString(run.resolve("manifest.json"), manifest.toString());
  }
}
