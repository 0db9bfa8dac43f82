package org.fedpeft.cli;

import org.fedpeft.engine.Engines;
import picocli.CommandLine;

/** Prints fedpeft's version and the engine's (DJL's and PyTorch's, as their jars record them). */
public final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return new String[] {
      "fedpeft " + (v == null ? "0.1.0-SNAPSHOT" : v),
      "DJL "
          + Engines.djlVersion()
          + ", PyTorch "
          + Engines.pytorchVersion()
          + " (CPU), Java "
          + System.getProperty("java.version")
    };
  }
}
