package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedpeft.data.DataFiles;
import org.fedpeft.data.DataFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA, 3 December: a run of one client got "--wait-for must be between 1 and the 1 clients", and a
 * run of one label "whose 1 labels are". The counts take their noun's number from {@link
 * Main#plural}, or say what a count of one means.
 */
class ServerCountWordingCliTest {

  @TempDir Path tmp;

  @Test
  void aWaitForAboveTheOnlyClientSaysSoBeforeTheServerStarts() throws Exception {
    Path config = CliRun.oneClientConfig(tmp);
    Path out = tmp.resolve("run");
    CliRun.Result r =
        CliRun.run(
            "server",
            config.toString(),
            "--out",
            out.toString(),
            "--insecure",
            "--listen",
            "127.0.0.1:0",
            "--wait-for",
            "2");
    assertEquals(2, r.code(), r.err());
    String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
    assertEquals(
        "fedpeft server: --wait-for must be 1, the run's only client, got 2", last, r.err());
    assertFalse(Files.exists(out.resolve("adapter")), "no run");
  }

  @Test
  void aRunOfOneLabelSaysWhoseLabelIs() throws Exception {
    Path file =
        Files.write(
            tmp.resolve("mine.jsonl"), List.of("{\"text\": \"a cat\", \"label\": \"weather\"}"));
    DataFormatException e =
        assertThrows(
            DataFormatException.class,
            () -> ClientHost.requireRunLabels(DataFiles.read(file), List.of("t0")));
    assertEquals(
        file + ":1: label \"weather\" is not a label of the server's run, whose 1 label is [t0]",
        e.getMessage());
  }
}
