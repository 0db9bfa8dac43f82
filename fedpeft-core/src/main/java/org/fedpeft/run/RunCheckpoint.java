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
 * state after the last complete round, the metrics lines so far, the communication log and every
 * client's LOCAL state, written in one atomic rename so a run killed at any moment resumes from one
 * consistent point.
 *
 * @param state the server state (without the extras this class adds)
 * @param metricLines the metrics.jsonl lines of the completed rounds, and the {@code round_failed}
 *     lines of the failed attempts before them ({@link RunRecorder#resumeMetrics})
 * @param comm the communication log so far
 * @param local every client's LOCAL state by id
 */
public record RunCheckpoint(
    ServerState state,
    List<String> metricLines,
    CommunicationLog comm,
    SortedMap<String, ClientState> local) {

  /** The checkpoint's path inside a run folder. */
  public static final String FILE = "checkpoint/state.safetensors";

  private static final String METRICS = "sim.metrics";
  private static final String COMM = "sim.comm";

  /** Writes the checkpoint atomically into the run folder. */
  public void save(Path runFolder) throws IOException {
    JsonArray lines = new JsonArray();
    metricLines.forEach(lines::add);
    ServerState.Builder b =
        state.toBuilder().putExtra(METRICS, lines.toString()).putExtra(COMM, comm.toJson());
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
    SortedMap<String, ClientState> local = LocalStateCheckpoint.take(saved);
    ServerState clean =
        LocalStateCheckpoint.strip(
            saved.toBuilder().removeExtra(METRICS).removeExtra(COMM).build());
    return new RunCheckpoint(
        clean,
        List.copyOf(lines),
        log == null ? new CommunicationLog() : CommunicationLog.fromJson(log),
        local);
  }
}
