package org.fedpeft.cli;

import picocli.CommandLine;

/** Prints fedpeft's version and the engine's. */
public final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return new String[] {
      "fedpeft " + (v == null ? "0.1.0-SNAPSHOT" : v),
      "DJL 0.35.1, PyTorch 2.7.1 (CPU), Java " + System.getProperty("java.version")
    };
  }
}
