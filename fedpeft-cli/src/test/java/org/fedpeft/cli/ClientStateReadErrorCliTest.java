package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ClientStateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpeft client} reads each hosted client's saved state before it connects: a file that is
 * not that client's state (damaged, another client's, a folder in its place) is bad input (exit 2)
 * naming --state and the client; an I/O error while reading is the machine's (exit 1), still naming
 * them. QA, 4 December: every IOException was bad input, so a failing disk read as the user's
 * mistake. Nothing listens at the --server address: the checks come first.
 */
@Timeout(300) // only to detect a client that connects and retries instead of stopping
class ClientStateReadErrorCliTest {

  @TempDir Path tmp;

  private static CliRun.Result client(Path state) {
    return CliRun.run(
        "client",
        "--set",
        "clients=2",
        "--set",
        "clients_per_round=2",
        "--server",
        "127.0.0.1:1",
        "--id",
        "client-0",
        "--insecure",
        "--state",
        state.toString());
  }

  private static void assertNamesTheClient(Path state, CliRun.Result r) {
    assertTrue(
        r.err()
            .startsWith(
                "fedpeft client: --state "
                    + state
                    + ": the saved state of client client-0 cannot be read"),
        r.err());
  }

  @Test
  void anotherClientsStateIsBadInput() throws Exception {
    Path state = Files.createDirectories(tmp.resolve("state"));
    ClientStateStore.onDisk(state).save("client-1", ClientState.EMPTY);
    Files.move(state.resolve("client-1.safetensors"), state.resolve("client-0.safetensors"));
    CliRun.Result r = client(state);
    assertEquals(2, r.code(), r.err());
    assertNamesTheClient(state, r);
    assertTrue(r.err().contains("holds the state of client 'client-1', not 'client-0'"), r.err());
  }

  @Test
  void aFolderInPlaceOfTheStateFileIsBadInput() throws Exception {
    Path state = Files.createDirectories(tmp.resolve("state"));
    Path file = Files.createDirectories(state.resolve("client-0.safetensors"));
    CliRun.Result r = client(state);
    assertEquals(2, r.code(), r.err());
    assertNamesTheClient(state, r);
    assertTrue(r.err().contains(file + " is a folder, not a client's saved state"), r.err());
  }

  /**
   * A sysfs attribute that answers every read with EIO stands for a failing disk; skipped where
   * this machine has none.
   */
  @Test
  void anIoErrorWhileReadingIsTheMachines() throws Exception {
    Path eio = FailingDisk.eioFileOrSkip();
    Path state = Files.createDirectories(tmp.resolve("state"));
    Files.createSymbolicLink(state.resolve("client-0.safetensors"), eio);
    CliRun.Result r = client(state);
    assertEquals(1, r.code(), r.err());
    assertNamesTheClient(state, r);
    assertEquals("", r.out());
  }
}
