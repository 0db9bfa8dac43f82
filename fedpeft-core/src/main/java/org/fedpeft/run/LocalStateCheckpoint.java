package org.fedpeft.run;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.fedpeft.federation.ClientState;
import org.fedpeft.federation.ServerState;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.tensor.HostTensor;

/**
 * Reads the simulated clients' LOCAL state (the {@link ClientState} of every client) from a
 * checkpoint that holds it inside its own file, as checkpoints did before the states got files of
 * their own ({@link LocalStateFiles}); such a checkpoint stays readable, and the next checkpoint of
 * a run resumed from it writes the files.
 *
 * <p>Layout in the checkpoint's {@link ServerState}: the extra entry {@value #INDEX} is a JSON
 * array with one object per client, sorted by id: {@code {"id": ..., "values": {...}, "tensors":
 * [names]}}; the tensor {@code name} of the i-th client is the strategy tensor {@code
 * sim.client/<i>/<name>}. Nothing is there when no client stored anything.
 */
final class LocalStateCheckpoint {

  static final String INDEX = "sim.client_state";
  static final String TENSOR_PREFIX = "sim.client/";

  private LocalStateCheckpoint() {}

  /** The client states stored in a checkpoint (empty if none). */
  static SortedMap<String, ClientState> take(ServerState s) {
    SortedMap<String, ClientState> out = new TreeMap<>();
    String json = s.extra().get(INDEX);
    if (json == null) {
      return out;
    }
    JsonArray index = JsonFiles.parse(json).getAsJsonArray();
    for (int i = 0; i < index.size(); i++) {
      JsonObject o = index.get(i).getAsJsonObject();
      Map<String, String> values = new TreeMap<>();
      for (Map.Entry<String, JsonElement> v : o.getAsJsonObject("values").entrySet()) {
        values.put(v.getKey(), v.getValue().getAsString());
      }
      Map<String, HostTensor> tensors = new TreeMap<>();
      for (JsonElement n : o.getAsJsonArray("tensors")) {
        String name = n.getAsString();
        HostTensor t = s.strategyTensors().get(TENSOR_PREFIX + i + "/" + name);
        if (t == null) {
          throw new IllegalArgumentException(
              "checkpoint: local tensor '" + name + "' of client " + o.get("id") + " is missing");
        }
        tensors.put(name, t);
      }
      out.put(o.get("id").getAsString(), new ClientState(tensors, values));
    }
    return out;
  }

  /** The checkpoint's server state without the client states. */
  static ServerState strip(ServerState s) {
    ServerState.Builder b = s.toBuilder().removeExtra(INDEX);
    List<String> local = new ArrayList<>();
    for (String name : s.strategyTensors().keySet()) {
      if (name.startsWith(TENSOR_PREFIX)) {
        local.add(name);
      }
    }
    local.forEach(b::removeStrategyTensor);
    return b.build();
  }
}
