package org.fedpeft.run;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ServerState;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.tensor.HostTensor;

/**
 * Writes a checkpoint as fedpeft wrote it before the clients' states, the metrics lines and the
 * communication log left the checkpoint file: everything inside {@link RunCheckpoint#FILE}, the
 * lines under {@code sim.metrics}, the whole log under {@code sim.comm} and every client's state
 * under {@code sim.client_state} with its tensors as {@code sim.client/<i>/<name>}. For the tests
 * that prove such a checkpoint still loads and resumes.
 */
public final class OldLayoutCheckpoint {

  private OldLayoutCheckpoint() {}

  /**
   * Writes {@code cp} into the run folder in the layout before, and deletes the folder of client
   * state files ({@value LocalStateFiles#DIR}), which that layout did not have.
   */
  public static void save(Path runFolder, RunCheckpoint cp) throws IOException {
    JsonArray lines = new JsonArray();
    cp.metricLines().forEach(lines::add);
    ServerState.Builder b =
        cp.state().toBuilder()
            .putExtra(RunCheckpoint.OLD_METRICS, lines.toString())
            .putExtra(RunCheckpoint.OLD_COMM, cp.comm().toJson());
    if (cp.pendingLine() != null) {
      b.putExtra("sim.pending_line", cp.pendingLine());
    }
    if (!cp.local().isEmpty()) {
      JsonArray index = new JsonArray();
      int i = 0;
      for (Map.Entry<String, ClientState> e : cp.local().entrySet()) {
        JsonObject o = new JsonObject();
        o.addProperty("id", e.getKey());
        JsonObject values = new JsonObject();
        e.getValue().values().forEach(values::addProperty);
        o.add("values", values);
        JsonArray names = new JsonArray();
        for (Map.Entry<String, HostTensor> t : e.getValue().tensors().entrySet()) {
          names.add(t.getKey());
          b.putStrategyTensor(
              LocalStateCheckpoint.TENSOR_PREFIX + i + "/" + t.getKey(), t.getValue());
        }
        o.add("tensors", names);
        index.add(o);
        i++;
      }
      b.putExtra(LocalStateCheckpoint.INDEX, new Gson().toJson(index));
    }
    b.build().save(runFolder.resolve(RunCheckpoint.FILE));
    AtomicFiles.deleteTree(runFolder.resolve(LocalStateFiles.DIR));
  }
}
