package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ClientStateStore;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.ServerState;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's LOCAL states with tensors (FedDPA's local adapter, FedLoRA's LoRA) are held in memory
 * only until a checkpoint's file holds them ({@link RunCheckpoint.Writer}): with 1,000 clients
 * memory holds the states of the clients that changed since the last checkpoint, not of every
 * client that ever trained, and a client still gets its own state back.
 */
class RunCheckpointMemoryTest {

  @TempDir Path tmp;

  private static final String LINE = "{\"event\":\"round\",\"round\":1}";

  private static ServerState state(int round) {
    return new ServerState(
            round,
            Map.of("w", new HostTensor(new long[] {2}, new float[] {1f, 2f})),
            Map.of(),
            Map.of(ServerState.STRATEGY_KEY, "fedavg"))
        .toBuilder().round(round).build();
  }

  /** A state with a tensor of 64 numbers from {@code v}. */
  private static ClientState withTensor(float v) {
    float[] a = new float[64];
    for (int i = 0; i < a.length; i++) {
      a[i] = v + i;
    }
    return new ClientState(Map.of("local/a", new HostTensor(new long[] {64}, a)), Map.of());
  }

  /** A state of values only, as a sample-level accountant is. */
  private static ClientState valuesOnly(int steps) {
    return new ClientState(
        Map.of(), Map.of("privacy.sample.accountant", "{\"steps\":" + steps + "}"));
  }

  private static String id(int c) {
    return String.format("client-%04d", c);
  }

  @Test
  void aCheckpointedStateWithTensorsLeavesMemoryAndIsReadBackFromItsFile() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    Files.writeString(run.resolve("metrics.jsonl"), LINE + "\n");
    RunCheckpoint.Writer w = new RunCheckpoint.Writer(run, Map.of());
    ClientStateStore store = w.clientStates();
    for (int c = 0; c < 1000; c++) {
      store.save(id(c), withTensor(c));
    }
    store.save("dp-client", valuesOnly(3));
    ClientState both = new ClientState(withTensor(5).tensors(), valuesOnly(4).values());
    store.save("dp-feddpa-client", both);
    assertEquals(1002, w.inMemory().size(), "before the checkpoint every state is in memory only");

    w.save(state(1), List.of(LINE), new CommunicationLog(), null);
    assertEquals(
        2,
        w.inMemory().size(),
        "after it, only the states with values (read after every round) stay in memory");
    assertEquals(Set.of("dp-client", "dp-feddpa-client"), w.inMemory());
    assertEquals(1002, store.clientIds().size());
    assertEquals(Optional.of(withTensor(7)), store.load(id(7)), "read back from its file");
    assertEquals(Optional.of(valuesOnly(3)), store.load("dp-client"));

    // A round changes two clients and deletes one: held until the next checkpoint has them.
    store.save(id(7), withTensor(-7));
    store.save(id(8), withTensor(-8));
    store.delete(id(9));
    assertEquals(
        new TreeSet<>(Set.of("dp-client", "dp-feddpa-client", id(7), id(8))), w.inMemory());
    assertEquals(Optional.of(withTensor(-7)), store.load(id(7)));
    assertEquals(Optional.empty(), store.load(id(9)), "deleted, though its file is still named");
    w.save(state(2), List.of(LINE), new CommunicationLog(), null);
    assertEquals(Set.of("dp-client", "dp-feddpa-client"), w.inMemory());
    assertEquals(Optional.of(withTensor(-7)), store.load(id(7)));
    assertEquals(Optional.empty(), store.load(id(9)));
    assertEquals(1001, store.clientIds().size());

    // A resumed run's writer holds none of the states its checkpoint's files hold.
    RunCheckpoint back = RunCheckpoint.load(run);
    RunCheckpoint.Writer resumed = new RunCheckpoint.Writer(run, back);
    assertEquals(Set.of("dp-client", "dp-feddpa-client"), resumed.inMemory());
    assertEquals(Optional.of(both), resumed.clientStates().load("dp-feddpa-client"));
    assertEquals(Optional.of(withTensor(-8)), resumed.clientStates().load(id(8)));
    assertTrue(resumed.clientStates().load(id(9)).isEmpty());
  }

  /** A run of 100 clients with tensor states and two with values, checkpointed at round 1. */
  private Path runOf100Clients() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    Files.writeString(run.resolve("metrics.jsonl"), LINE + "\n");
    RunCheckpoint.Writer w = new RunCheckpoint.Writer(run, Map.of());
    for (int c = 0; c < 100; c++) {
      w.clientStates().save(id(c), withTensor(c));
    }
    w.clientStates().save("dp-client", valuesOnly(3));
    w.clientStates().save("dp-feddpa-client", both());
    w.save(state(1), List.of(LINE), new CommunicationLog(), null);
    return run;
  }

  private static ClientState both() {
    return new ClientState(withTensor(5).tensors(), valuesOnly(4).values());
  }

  @Test
  void resumingHoldsOnlyTheStatesWithValuesAndReadsTheOthersBackFromTheirFiles() throws Exception {
    Path run = runOf100Clients();
    RunCheckpoint back = RunCheckpoint.loadToResume(run);
    assertEquals(
        Set.of("dp-client", "dp-feddpa-client"),
        back.local().keySet(),
        "the states with tensors alone are checked and dropped, not held for the resume");
    assertEquals(102, back.localFiles().size(), "every state is named by its file");
    assertEquals(RunCheckpoint.load(run).localFiles(), back.localFiles());

    RunCheckpoint.Writer resumed = new RunCheckpoint.Writer(run, back);
    assertEquals(Set.of("dp-client", "dp-feddpa-client"), resumed.inMemory());
    ClientStateStore store = resumed.clientStates();
    assertEquals(102, store.clientIds().size());
    assertEquals(Optional.of(withTensor(7)), store.load(id(7)), "read back from its file");
    assertEquals(Optional.of(both()), store.load("dp-feddpa-client"));

    // The resumed run's next checkpoint names the unchanged files again and writes the changed one.
    store.save(id(8), withTensor(-8));
    resumed.save(state(2), List.of(LINE), new CommunicationLog(), null);
    RunCheckpoint all = RunCheckpoint.load(run);
    assertEquals(102, all.local().size());
    assertEquals(withTensor(-8), all.local().get(id(8)));
    assertEquals(withTensor(9), all.local().get(id(9)));
    assertEquals(back.localFiles().get(id(9)), all.localFiles().get(id(9)), "not written again");
  }

  @Test
  void aCheckpointLoadedToResumeSavesEveryStateItNames() throws Exception {
    Path run = runOf100Clients();
    RunCheckpoint back = RunCheckpoint.loadToResume(run);
    RunCheckpoint expected = RunCheckpoint.load(run);
    new RunCheckpoint(
            back.state(), back.metricLines(), back.comm(), back.local(), null, back.localFiles())
        .save(run);
    assertEquals(expected.local(), RunCheckpoint.load(run).local());

    Path elsewhere = tmp.resolve("elsewhere");
    Files.createDirectories(elsewhere);
    Files.writeString(elsewhere.resolve("metrics.jsonl"), LINE + "\n");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> back.save(elsewhere));
    assertTrue(
        e.getMessage().contains(back.localFiles().get(id(0)) + ".safetensors is missing"),
        e.getMessage());
  }

  @Test
  void resumingRefusesACorruptedOrMissingStateFileInLoadsWords() throws Exception {
    Path run = runOf100Clients();
    SortedMap<String, String> files = RunCheckpoint.load(run).localFiles();
    Path corrupted = run.resolve(LocalStateFiles.DIR).resolve(files.get(id(50)) + ".safetensors");
    byte[] bytes = Files.readAllBytes(corrupted);
    bytes[bytes.length - 1] ^= 1;
    Files.write(corrupted, bytes);
    String loadSays =
        assertThrows(IllegalArgumentException.class, () -> RunCheckpoint.load(run)).getMessage();
    assertEquals(
        loadSays,
        assertThrows(IllegalArgumentException.class, () -> RunCheckpoint.loadToResume(run))
            .getMessage());
    assertTrue(loadSays.startsWith(corrupted + ": the content does not match"), loadSays);

    Files.delete(corrupted);
    String missing =
        assertThrows(IllegalArgumentException.class, () -> RunCheckpoint.loadToResume(run))
            .getMessage();
    assertTrue(missing.startsWith(corrupted + " is missing"), missing);
  }
}
