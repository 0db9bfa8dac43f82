package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: {@code client} and {@code node} created their {@code --state} folder only after
 * the model had loaded, so a folder the file system refuses, or one that exists but takes no files,
 * was reported after seconds or minutes; and a file among its parent folders (ENOTDIR) was an
 * internal failure, exit 1. The folder is now created before the model loads: here the model cannot
 * load, and the --state message is the one printed. A run that fails after creating it removes it
 * again.
 */
class ClientStateRefusedEarlyCliTest {

  @TempDir Path tmp;

  /** The one-client config with a model whose config.json is not JSON. */
  private Path configWithBrokenModel() throws Exception {
    Path config = CliRun.oneClientConfig(tmp);
    Files.writeString(tmp.resolve("model").resolve("config.json"), "{ not json");
    return config;
  }

  private static CliRun.Result client(String command, Path config, Path state) {
    return command.equals("client")
        ? CliRun.run(
            "client",
            config.toString(),
            "--server",
            "127.0.0.1:1",
            "--id",
            "client-0",
            "--insecure",
            "--state",
            state.toString())
        : CliRun.run(
            "node",
            config.toString(),
            "--server",
            "127.0.0.1:1",
            "--clients",
            "1",
            "--insecure",
            "--state",
            state.toString());
  }

  private static void assertRefusedState(String command, CliRun.Result r, Path state) {
    assertEquals(2, r.code(), r.err());
    String err = r.err().strip();
    assertTrue(
        err.startsWith("fedpeft " + command + ": " + state + ": cannot create the output folder ("),
        err);
    assertTrue(err.endsWith("); choose another --state"), err);
    assertFalse(err.contains("config.json"), "the model was loaded first: " + err);
  }

  @Test
  void aFileAboveStateIsRefusedBeforeTheModelLoads() throws Exception {
    Path config = configWithBrokenModel();
    Path file = Files.writeString(tmp.resolve("file"), "x");
    Path state = file.resolve("state");
    assertRefusedState("client", client("client", config, state), state);
    assertRefusedState("node", client("node", config, state), state);
  }

  @Test
  void aStateFolderSysRefusesIsRefusedBeforeTheModelLoads() throws Exception {
    Path state = Path.of("/sys/fedpeft-qa-refused-state");
    try {
      Files.createDirectory(state);
      Files.delete(state);
      assumeTrue(false, "/sys takes a new folder here");
    } catch (FileSystemException e) {
      assumeTrue(e.getClass() == FileSystemException.class, "/sys refuses otherwise: " + e);
    } catch (IOException e) {
      assumeTrue(false, "/sys refuses otherwise: " + e);
    }
    assertRefusedState("client", client("client", configWithBrokenModel(), state), state);
  }

  /** /sys/kernel is a folder in which even root cannot create a file (EACCES). */
  @Test
  void aStateFolderThatTakesNoFilesIsRefusedBeforeTheModelLoads() throws Exception {
    Path state = Path.of("/sys/kernel");
    try {
      Files.delete(Files.createTempFile(state, "fedpeft-qa-", ".tmp"));
      assumeTrue(false, state + " takes a new file here");
    } catch (AccessDeniedException e) {
      // as expected
    } catch (IOException e) {
      assumeTrue(false, state + " refuses otherwise: " + e);
    }
    for (String command : new String[] {"client", "node"}) {
      CliRun.Result r = client(command, configWithBrokenModel(), state);
      assertEquals(2, r.code(), r.err());
      assertEquals(
          "fedpeft "
              + command
              + ": --state "
              + state
              + ": cannot write in it (permission denied); choose another --state",
          r.err().strip());
    }
  }

  /** The model cannot load: the --state folder created for the run (and its parents) goes again. */
  @Test
  void aFailedStartLeavesNoStateFolder() throws Exception {
    Path config = configWithBrokenModel();
    Path state = tmp.resolve("new").resolve("state");
    CliRun.Result r = client("client", config, state);
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("config.json"), r.err());
    assertFalse(Files.exists(tmp.resolve("new")), "left behind: " + tmp.resolve("new"));
  }
}
