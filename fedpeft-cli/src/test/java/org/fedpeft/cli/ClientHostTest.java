package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fedpeft.client.ClientData;
import org.fedpeft.data.DataFiles;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.Dataset;
import org.fedpeft.grpc.RunInfo;
import org.fedpeft.run.SimulationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client's own file mapped to the server's run ({@link ClientHost#fromFile}). */
class ClientHostTest {

  @TempDir Path tmp;

  private ClientHost.Share share() throws Exception {
    Path file =
        Files.write(
            tmp.resolve("mine.jsonl"),
            List.of(
                "{\"text\": \"a\", \"label\": \"t1\"}",
                "{\"text\": \"b\", \"label\": \"t0\"}",
                "{\"text\": \"c\", \"label\": \"t1\"}"));
    Dataset data = DataFiles.read(file);
    long[][] tokens = {{101, 1, 102}, {101, 2, 102}, {101, 3, 102}};
    SimulationConfig config =
        SimulationConfig.of(
            Map.of(),
            Map.of("clients", "2", "clients_per_round", "2", "data.client_holdout", "0"),
            "t");
    return ClientHost.fromFile("client-1", 1, data, tokens, config);
  }

  @Test
  void labelsMapToTheRunsClassesByName() throws Exception {
    ClientData d = share().forRun(new RunInfo(List.of("t9", "t1", "t0")));
    assertEquals("client-1", d.id());
    assertEquals(3, d.train().size());
    int[] labels = d.train().labels();
    long[][] tokens = d.train().tokens();
    for (int i = 0; i < labels.length; i++) {
      // token 1 and 3 are "t1" (class 1 of the run), token 2 is "t0" (class 2)
      assertEquals(tokens[i][1] == 2 ? 2 : 1, labels[i], "example " + i);
    }
    assertArrayEquals(new int[0], d.holdout().labels());
  }

  @Test
  void aLabelTheRunLacksAndAMultiTaskRunAreRefused() throws Exception {
    DataFormatException e =
        assertThrows(
            DataFormatException.class, () -> share().forRun(new RunInfo(List.of("t1", "t2"))));
    assertTrue(
        e.getMessage()
            .endsWith(
                "mine.jsonl:2: label \"t0\" is not a label of the server's run, whose 2 labels"
                    + " are [t1, t2]"),
        e.getMessage());
    UserInputException m =
        assertThrows(
            UserInputException.class,
            () -> share().forRun(new RunInfo(List.of("t0", "t1"), List.of("x", "y"))));
    assertTrue(m.getMessage().contains("serves single-task runs only"), m.getMessage());
    UserInputException none =
        assertThrows(UserInputException.class, () -> share().forRun(RunInfo.none()));
    assertTrue(none.getMessage().contains("did not say which labels"), none.getMessage());
  }
}
