package org.fedpeft.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.CommunicationLog;
import org.fedpeft.federation.ServerState;

/**
 * A run's checkpoint: one safetensors file ({@value #FILE} in the run folder) holding the server
 * state after the last aggregated round, the metrics lines so far, the communication log and every
 * client's LOCAL state, written in one atomic rename so a run killed at any moment resumes from one
 * consistent point.
 *
 * <p>A round is checkpointed as soon as it is aggregated (noised and charged, under DP), before
 * anything of it leaves the process: its evaluation, its metrics line, the console. So the
 * checkpoint holds that round's metrics line without its evaluation ({@code pendingLine}); a
 * resumed run evaluates the checkpointed model again (the evaluation is deterministic) and writes
 * the line, instead of running the round again with fresh noise. Checkpoints written before this
 * order have no pending line: their state's round has its line among {@code metricLines}.
 *
 * @param state the server state (without the extras this class adds)
 * @param metricLines the metrics.jsonl lines written before the state's round was aggregated (the
 *     rounds before it, and the {@code round_failed} lines of the failed attempts among them:
 *     {@link RunRecorder#resumeMetrics}); with no pending line, also the state's round's own line
 * @param comm the communication log so far (without the evaluation of the pending round)
 * @param local every client's LOCAL state by id
 * @param pendingLine the metrics line of the state's round without its evaluation, as JSON, or null
 *     if that round's line is among {@code metricLines} (or no round ran yet)
 */
public record RunCheckpoint(
    ServerState state,
    List<String> metricLines,
    CommunicationLog comm,
    SortedMap<String, ClientState> local,
    String pendingLine) {

  /**
   * A checkpoint without a pending line, as the checkpoints written before rounds were checkpointed
   * ahead of their evaluation are.
   */
  public RunCheckpoint(
      ServerState state,
      List<String> metricLines,
      CommunicationLog comm,
      SortedMap<String, ClientState> local) {
    this(state, metricLines, comm, local, null);
  }

  /** The checkpoint's path inside a run folder. */
  public static final String FILE = "checkpoint/state.safetensors";

  private static final String METRICS = "sim.metrics";
  private static final String COMM = "sim.comm";
  private static final String PENDING = "sim.pending_line";

  /** Writes the checkpoint atomically into the run folder. */
  public void save(Path runFolder) throws IOException {
    JsonArray lines = new JsonArray();
    metricLines.forEach(lines::add);
    ServerState.Builder b =
        state.toBuilder().putExtra(METRICS, lines.toString()).putExtra(COMM, comm.toJson());
    if (pendingLine != null) {
      b.putExtra(PENDING, pendingLine);
    }
    LocalStateCheckpoint.put(b, local);
    b.build().save(runFolder.resolve(FILE));
  }

  /** Reads the checkpoint of a run folder. */
  public static RunCheckpoint load(Path runFolder) throws IOException {
    ServerState saved = ServerState.load(runFolder.resolve(FILE));
    List<String> lines = new ArrayList<>();
    String stored = saved.extra().get(METRICS);
    if (stored != null) {
      for (JsonElement e : JsonParser.parseString(stored).getAsJsonArray()) {
        lines.add(e.getAsString());
      }
    }
    String log = saved.extra().get(COMM);
    String pending = saved.extra().get(PENDING);
    SortedMap<String, ClientState> local = LocalStateCheckpoint.take(saved);
    ServerState clean =
        LocalStateCheckpoint.strip(
            saved.toBuilder().removeExtra(METRICS).removeExtra(COMM).removeExtra(PENDING).build());
    return new RunCheckpoint(
        clean,
        List.copyOf(lines),
        log == null ? new CommunicationLog() : CommunicationLog.fromJson(log),
        local,
        pending);
  }
}
