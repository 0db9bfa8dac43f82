package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.CommunicationLog.Direction;
import org.fedpeft.federation.CommunicationLog.Phase;
import org.fedpeft.federation.ServerState;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint's layout ({@link RunCheckpoint}): metrics.jsonl counted, not copied; the traffic
 * as totals; one content-named file per client's LOCAL state, written only when the state changed
 * and deleted once no checkpoint names it; and a checkpoint of the layout before, which held all of
 * it inside its file, still loading.
 */
class RunCheckpointLayoutTest {

  @TempDir Path tmp;

  private static final List<String> LINES =
      List.of("{\"event\":\"round\",\"round\":1}", "{\"event\":\"round\",\"round\":2,\"é\":1}");

  private static ServerState state(int round) {
    return new ServerState(
            round,
            Map.of("w", new HostTensor(new long[] {3}, new float[] {1f, -0f, Float.MIN_VALUE})),
            Map.of("opt/m/w", new HostTensor(new long[] {3}, new float[] {0.5f, 2f, 3f})),
            Map.of(ServerState.STRATEGY_KEY, "fedavg"))
        .toBuilder().round(round).build();
  }

  private static ClientState client(float v) {
    return new ClientState(
        Map.of("local/a", new HostTensor(new long[] {3}, new float[] {v, v + 1, Float.NaN})),
        Map.of("privacy.sample.accountant", "{\"steps\":" + v + "}"));
  }

  private static CommunicationLog comm() {
    CommunicationLog log = new CommunicationLog();
    log.record(1, "c0", Phase.FIT, Direction.DOWN, 100);
    log.record(1, "c0", Phase.FIT, Direction.UP, 40);
    log.record(2, "c1", Phase.EVALUATE, Direction.DOWN, 7);
    return log;
  }

  private void writeMetrics(Path run, List<String> lines) throws IOException {
    Files.writeString(
        run.resolve("metrics.jsonl"),
        lines.stream().map(l -> l + "\n").collect(Collectors.joining()),
        StandardCharsets.UTF_8);
  }

  private static Set<String> localFiles(Path run) throws IOException {
    Path dir = run.resolve(LocalStateFiles.DIR);
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static SortedMap<String, ClientState> states(Object... idAndValue) {
    SortedMap<String, ClientState> m = new TreeMap<>();
    for (int i = 0; i < idAndValue.length; i += 2) {
      m.put((String) idAndValue[i], client((Float) idAndValue[i + 1]));
    }
    return m;
  }

  @Test
  void aCheckpointRoundTripsWithItsLinesTrafficAndStatesInFilesOfTheirOwn() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    writeMetrics(run, LINES);
    Files.writeString(
        run.resolve("metrics.jsonl"),
        "{\"event\":\"round\",\"round\":3}\n{\"cut", // after: kept
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
    SortedMap<String, ClientState> local = states("c0", 1f, "c1", 2f, "c 2/é", 3f);
    new RunCheckpoint(state(2), LINES, comm(), local, "{\"event\":\"round\",\"round\":3}")
        .save(run);

    RunCheckpoint back = RunCheckpoint.load(run);
    assertEquals(state(2), back.state(), "server state without the checkpoint's extras");
    assertEquals(LINES, back.metricLines());
    assertEquals("{\"event\":\"round\",\"round\":3}", back.pendingLine());
    assertEquals(local, back.local());
    assertEquals(107, back.comm().total(Direction.DOWN));
    assertEquals(40, back.comm().total(Direction.UP));
    assertEquals(3, localFiles(run).size(), "one file per client: " + localFiles(run));
    ServerState raw = ServerState.load(run.resolve(RunCheckpoint.FILE));
    assertNull(raw.extra().get(RunCheckpoint.OLD_METRICS), "the lines are not copied");
    assertNull(raw.extra().get(RunCheckpoint.OLD_COMM), "nor the log's entries");
    assertFalse(
        raw.strategyTensors().keySet().stream()
            .anyMatch(n -> n.startsWith(LocalStateCheckpoint.TENSOR_PREFIX)),
        "nor the clients' tensors");
  }

  @Test
  void eachCheckpointWritesTheStatesThatChangedAndDeletesThoseNoLongerNamed() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    writeMetrics(run, LINES.subList(0, 1));
    RunCheckpoint.Writer w = new RunCheckpoint.Writer(run, states("c0", 1f, "c1", 2f, "c2", 3f));
    w.save(state(1), LINES.subList(0, 1), comm(), null);
    Set<String> first = localFiles(run);
    assertEquals(3, first.size());
    Map<String, java.nio.file.attribute.FileTime> written = new TreeMap<>();
    for (String f : first) {
      written.put(f, Files.getLastModifiedTime(run.resolve(LocalStateFiles.DIR).resolve(f)));
    }

    // Round 2 changes c1, removes c2 and gives c3 a state; c0 is untouched.
    w.clientStates().save("c1", client(20f));
    w.clientStates().delete("c2");
    w.clientStates().save("c3", client(30f));
    writeMetrics(run, LINES);
    w.save(state(2), LINES, comm(), null);

    Set<String> second = localFiles(run);
    Set<String> added = new TreeSet<>(second);
    added.removeAll(first);
    Set<String> removed = new TreeSet<>(first);
    removed.removeAll(second);
    assertEquals(2, added.size(), "c1's new state and c3's: " + added);
    assertEquals(2, removed.size(), "c1's old state and c2's: " + removed);
    for (String f : second) {
      if (written.containsKey(f)) {
        assertEquals(
            written.get(f),
            Files.getLastModifiedTime(run.resolve(LocalStateFiles.DIR).resolve(f)),
            "c0's file is not written again");
      }
    }
    assertEquals(
        states("c0", 1f, "c1", 20f, "c3", 30f), RunCheckpoint.load(run).local(), "round 2's");

    // A checkpoint with nothing changed writes no state file.
    w.save(state(3), LINES, comm(), null);
    assertEquals(second, localFiles(run));
  }

  @Test
  void aKillBetweenTheStateFilesAndTheCheckpointResumesFromTheCheckpointBefore() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    writeMetrics(run, LINES.subList(0, 1));
    SortedMap<String, ClientState> round1 = states("c0", 1f, "c1", 2f);
    RunCheckpoint.Writer w = new RunCheckpoint.Writer(run, round1);
    w.save(state(1), LINES.subList(0, 1), comm(), "{\"round\":1}");
    byte[] checkpoint1 = Files.readAllBytes(run.resolve(RunCheckpoint.FILE));
    Set<String> files1 = localFiles(run);

    // What a process killed in round 2's checkpoint leaves (pause point
    // round-2-local-states-written): c1's new state file and a temporary file of c0's, a line
    // of round 1 appended, the checkpoint file still round 1's.
    LocalStateFiles.write(run, "c1", client(21f));
    Files.writeString(run.resolve(LocalStateFiles.DIR).resolve(".abc.safetensors.1f2e.tmp"), "x");
    writeMetrics(run, LINES);
    assertTrue(localFiles(run).size() == files1.size() + 2, localFiles(run).toString());

    RunCheckpoint back = RunCheckpoint.load(run);
    assertEquals(1, back.state().round());
    assertEquals(round1, back.local(), "the states of round 1, none of round 2");
    assertEquals(LINES.subList(0, 1), back.metricLines());
    assertEquals(-1L, Files.mismatch(run.resolve(RunCheckpoint.FILE), tmpCopy(checkpoint1)));

    // The resumed run deletes what no checkpoint names, and so does each checkpoint.
    RunCheckpoint.Writer resumed = new RunCheckpoint.Writer(run, back);
    assertEquals(files1.size() + 2, localFiles(run).size(), "the writer reads, writes nothing");
    resumed.deleteUnnamedFiles();
    assertEquals(files1, localFiles(run), "the leftovers are gone");
    LocalStateFiles.write(run, "c1", client(22f));
    resumed.save(state(1), LINES.subList(0, 1), back.comm(), "{\"round\":1}");
    assertEquals(files1, localFiles(run), "a file no checkpoint names is deleted after it");
    assertEquals(
        -1L,
        Files.mismatch(run.resolve(RunCheckpoint.FILE), tmpCopy(checkpoint1)),
        "the resumed run's checkpoint is byte-identical to the one it resumed from");
  }

  /**
   * A resumed run's writer takes each state's file by the name the loaded checkpoint gives it
   * (checked against the file's content as it was read), so its first checkpoint encodes and hashes
   * no state that did not change. Seen on a file whose bytes are not those this version encodes
   * (its header padded: an equal state, another SHA-256): the writer keeps it, where one that
   * encoded the state again found no file of that name and wrote one.
   */
  @Test
  void aResumedWriterKeepsTheLoadedFilesOfTheStatesThatDidNotChange() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    writeMetrics(run, LINES.subList(0, 1));
    SortedMap<String, ClientState> round1 = states("c0", 1f, "c1", 2f);
    new RunCheckpoint.Writer(run, round1).save(state(1), LINES.subList(0, 1), comm(), null);
    SortedMap<String, String> index = RunCheckpoint.load(run).localFiles();
    assertEquals(round1.keySet(), index.keySet(), "the loaded checkpoint names every file");

    // c0's file replaced by an equal state whose header has 8 more bytes of padding.
    Path dir = run.resolve(LocalStateFiles.DIR);
    byte[] bytes = Files.readAllBytes(dir.resolve(index.get("c0") + ".safetensors"));
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int header = (int) b.getLong(0);
    java.nio.ByteBuffer padded =
        java.nio.ByteBuffer.allocate(bytes.length + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    padded.putLong(header + 8).put(bytes, 8, header).put("        ".getBytes());
    padded.put(bytes, 8 + header, bytes.length - 8 - header);
    String sha =
        java.util.HexFormat.of()
            .formatHex(org.fedpeft.io.Sha256.newDigest().digest(padded.array()));
    Files.write(dir.resolve(sha + ".safetensors"), padded.array());
    Files.delete(dir.resolve(index.get("c0") + ".safetensors"));
    index.put("c0", sha);
    ServerState.Builder cp = ServerState.load(run.resolve(RunCheckpoint.FILE)).toBuilder();
    LocalStateFiles.putIndex(cp, index);
    cp.build().save(run.resolve(RunCheckpoint.FILE));

    RunCheckpoint back = RunCheckpoint.load(run);
    assertEquals(round1, back.local(), "the padded file holds c0's state");
    Set<String> before = localFiles(run);
    RunCheckpoint.Writer resumed = new RunCheckpoint.Writer(run, back);
    resumed.deleteUnnamedFiles();
    resumed.save(state(1), back.metricLines(), back.comm(), null);
    assertEquals(before, localFiles(run), "no state file written or deleted");
    assertEquals(index, RunCheckpoint.load(run).localFiles(), "the same names");

    // A state that changes gets the file of its new content, as in any checkpoint.
    resumed.clientStates().save("c0", client(5f));
    resumed.save(state(2), back.metricLines(), back.comm(), null);
    assertEquals(states("c0", 5f, "c1", 2f), RunCheckpoint.load(run).local());
    assertFalse(localFiles(run).contains(sha + ".safetensors"), "c0's old file is deleted");
  }

  private Path tmpCopy(byte[] bytes) throws IOException {
    return Files.write(Files.createTempFile(tmp, "copy", ".safetensors"), bytes);
  }

  @Test
  void aCheckpointOfTheLayoutBeforeLoadsAndItsRunWritesTheNewOne() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    writeMetrics(run, LINES);
    SortedMap<String, ClientState> local = states("c0", 1f, "c1", 2f);
    RunCheckpoint old = new RunCheckpoint(state(2), LINES, comm(), local, "{\"round\":3}");
    OldLayoutCheckpoint.save(run, old);
    assertTrue(
        ServerState.load(run.resolve(RunCheckpoint.FILE))
            .extra()
            .containsKey(LocalStateCheckpoint.INDEX),
        "written the old way");
    Files.delete(run.resolve("metrics.jsonl")); // the old layout does not need it

    RunCheckpoint back = RunCheckpoint.load(run);
    assertEquals(state(2), back.state());
    assertEquals(LINES, back.metricLines());
    assertEquals("{\"round\":3}", back.pendingLine());
    assertEquals(local, back.local());
    assertEquals(comm().entries(), back.comm().entries(), "every entry, as before");
    assertEquals(107, back.comm().total(Direction.DOWN));

    writeMetrics(run, back.metricLines()); // as RunRecorder.resumeMetrics rewrites it
    new RunCheckpoint.Writer(run, back)
        .save(back.state(), back.metricLines(), back.comm(), back.pendingLine());
    assertEquals(2, localFiles(run).size(), "the states got their files");
    RunCheckpoint again = RunCheckpoint.load(run);
    assertEquals(local, again.local());
    assertEquals(LINES, again.metricLines());
    assertEquals(back.state(), again.state());
    assertEquals(107, again.comm().total(Direction.DOWN));
    assertEquals(40, again.comm().total(Direction.UP));
  }

  @Test
  void aMetricsFileThatNoLongerBeginsWithTheCountedLinesIsRefusedNamingIt() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    writeMetrics(run, LINES);
    new RunCheckpoint(state(2), LINES, comm(), new TreeMap<>()).save(run);
    Path metrics = run.resolve("metrics.jsonl");

    writeMetrics(run, List.of(LINES.get(0), LINES.get(1).replace("2", "9")));
    IllegalArgumentException edited =
        assertThrows(IllegalArgumentException.class, () -> RunCheckpoint.load(run));
    // Says which lines it misses, that the checkpoint has no copy, and both ways out, the second
    // with the options to type.
    assertTrue(
        edited
            .getMessage()
            .startsWith(
                metrics + " does not begin with its checkpointed lines: the run's checkpoint"),
        edited.getMessage());
    assertTrue(
        edited.getMessage().contains("counts its first 2 lines (")
            && edited.getMessage().contains(") and keeps no copy of them, so the run cannot be")
            && edited.getMessage().contains("put the file back as the run wrote it")
            && edited.getMessage().endsWith("start the run again with --out " + run + " --force"),
        edited.getMessage());

    Files.delete(metrics);
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> RunCheckpoint.load(run));
    assertTrue(missing.getMessage().startsWith(metrics + " is missing"), missing.getMessage());

    writeMetrics(run, List.of(LINES.get(0)));
    IllegalArgumentException cut =
        assertThrows(IllegalArgumentException.class, () -> RunCheckpoint.load(run));
    assertTrue(
        cut.getMessage().startsWith(metrics + " is shorter than its checkpointed lines: "),
        cut.getMessage());

    writeMetrics(run, List.of(LINES.get(0), LINES.get(1), "{\"event\":\"round_failed\"}"));
    assertEquals(LINES, RunCheckpoint.load(run).metricLines(), "lines after them are the run's");
  }

  @Test
  void aResumedLogCountsTheTotalsBeforeAndWhatItRecords() {
    CommunicationLog log = CommunicationLog.continuing(107, 40);
    log.record(3, "c0", Phase.FIT, Direction.UP, 5);
    assertEquals(107, log.total(Direction.DOWN));
    assertEquals(45, log.total(Direction.UP));
    assertEquals(5, log.roundTotal(3, Direction.UP));
    CommunicationLog back = CommunicationLog.fromJson(log.toJson());
    assertEquals(45, back.total(Direction.UP));
    assertEquals(log.entries(), back.entries());
  }

  /**
   * QA, 5 December: the JSON a checkpoint holds in its extra entries was read with gson's lenient
   * parser, so an entry with a repeated key (the traffic totals, the pending round's line) took its
   * last value without a word, and a pending line in lenient JSON was released as the round's line.
   * They are read strictly (io.JsonFiles), and refused naming the checkpoint and what is wrong.
   * Fails on the old code.
   */
  @Test
  void aCheckpointEntryWithARepeatedKeyIsRefusedNamingTheCheckpoint() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    writeMetrics(run, LINES);
    new RunCheckpoint(state(2), LINES, comm(), states("c0", 1f), null).save(run);
    Path file = run.resolve(RunCheckpoint.FILE);
    ServerState saved = ServerState.load(file);
    String[][] cases = {
      {"sim.traffic", "{\"down\":107,\"up\":40,\"up\":4000}", "duplicate key 'up'"},
      {
        "sim.pending_line", "{\"event\":\"round\",\"round\":3,\"round\":4}", "duplicate key 'round'"
      },
      {"sim.pending_line", "{\"event\":\"round\",\"loss\":NaN}", "not valid JSON: "},
    };
    for (String[] c : cases) {
      saved.toBuilder().putExtra(c[0], c[1]).build().save(file);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> RunCheckpoint.load(run), c[1]);
      assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
      assertTrue(e.getMessage().contains(c[0] + " is not readable (" + c[2]), e.getMessage());
    }
  }
}
