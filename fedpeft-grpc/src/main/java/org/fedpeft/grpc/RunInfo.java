package org.fedpeft.grpc;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.io.JsonFiles;

/**
 * What a server tells every node about its run when it welcomes it (the payload of the WELCOME
 * frame, as UTF-8 JSON {@code {"labels": [...], "tasks": [...], "run": "...", "client_data": {...},
 * "base_model": "..."}}): the run's label vocabulary in class-index order, so that a node reading
 * its own data file can map its labels to the server's class indices, and a node whose data has a
 * label the run lacks can say so before it trains; the run's tasks (more than one in a multi-task
 * run); the run's identity, the same when the server resumes it, to which a node binds the LOCAL
 * state it keeps; when the server holds the clients' data, a digest of each client's share, so that
 * a node whose config gives it other data (another seed, cap or partition) finds out before it
 * trains; and the frozen model the run computes with (its digest and precision, as every
 * instruction names it in {@code run.base_model}), so that a node whose model cannot serve the run
 * refuses it at the welcome instead of at every round.
 *
 * <p>Every key but {@code labels} is optional, and a reader ignores keys it does not know: a node
 * that predates a key reads the payload of a newer server as before, and a newer node welcomed by a
 * server that sends no such key checks nothing of it (this is how {@code base_model} was added; the
 * frame's format version is unchanged).
 *
 * @param labels the label vocabulary in class-index order, or null when the server sent none
 * @param tasks the run's task names in order (one for a single task), or empty when not sent
 * @param run the run's identity, or null when not sent
 * @param clientData client id to the digest of its share ({@code ClientData.digest}), or empty
 * @param baseModel the run's frozen model, its digest and precision ({@code BaseModel.of}), or null
 *     when not sent
 */
public record RunInfo(
    List<String> labels,
    List<String> tasks,
    String run,
    Map<String, String> clientData,
    String baseModel) {

  /** Copies the lists. */
  public RunInfo {
    labels = labels == null ? null : List.copyOf(labels);
    tasks = tasks == null ? List.of() : List.copyOf(tasks);
    clientData = clientData == null ? Map.of() : Map.copyOf(clientData);
  }

  /** A run's labels, tasks, identity and client digests, without its frozen model. */
  public RunInfo(
      List<String> labels, List<String> tasks, String run, Map<String, String> clientData) {
    this(labels, tasks, run, clientData, null);
  }

  /** A run's labels and tasks, without identity or digests. */
  public RunInfo(List<String> labels, List<String> tasks) {
    this(labels, tasks, null, Map.of());
  }

  /** A single-task run's labels. */
  public RunInfo(List<String> labels) {
    this(labels, List.of());
  }

  /** A run whose server says nothing about it. */
  public static RunInfo none() {
    return new RunInfo(null, List.of());
  }

  /** The JSON bytes; empty for {@link #none()}. */
  byte[] toBytes() {
    if (labels == null) {
      return new byte[0];
    }
    JsonObject o = new JsonObject();
    JsonArray a = new JsonArray();
    labels.forEach(a::add);
    o.add("labels", a);
    JsonArray t = new JsonArray();
    tasks.forEach(t::add);
    o.add("tasks", t);
    if (run != null) {
      o.addProperty("run", run);
    }
    if (!clientData.isEmpty()) {
      JsonObject d = new JsonObject();
      new TreeMap<>(clientData).forEach(d::addProperty);
      o.add("client_data", d);
    }
    if (baseModel != null) {
      o.addProperty("base_model", baseModel);
    }
    return o.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads the WELCOME payload, decoded as strict UTF-8 and parsed as strictly as a run folder's
   * JSON files ({@link JsonFiles#parse}: no comments, NaN, trailing content or repeated key).
   *
   * @throws IllegalArgumentException if it is not UTF-8 ("the server's run description is not valid
   *     UTF-8 (byte 12 of 80)") or not this JSON ("the server's run description is not valid:
   *     duplicate key 'labels' at line 1 column 29")
   */
  static RunInfo fromBytes(byte[] bytes) {
    if (bytes.length == 0) {
      return none();
    }
    String text = utf8(bytes);
    JsonElement tree;
    try {
      tree = JsonFiles.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the server's run description is not valid: " + e.getMessage(), e);
    }
    try {
      JsonObject o = tree.getAsJsonObject();
      JsonElement l = o.get("labels");
      if (l == null || l.isJsonNull()) {
        return none();
      }
      List<String> labels = new ArrayList<>();
      for (JsonElement e : l.getAsJsonArray()) {
        labels.add(e.getAsString());
      }
      List<String> tasks = new ArrayList<>();
      JsonElement t = o.get("tasks");
      if (t != null && t.isJsonArray()) {
        for (JsonElement e : t.getAsJsonArray()) {
          tasks.add(e.getAsString());
        }
      }
      JsonElement r = o.get("run");
      Map<String, String> digests = new TreeMap<>();
      JsonElement d = o.get("client_data");
      if (d != null && d.isJsonObject()) {
        d.getAsJsonObject()
            .entrySet()
            .forEach(e -> digests.put(e.getKey(), e.getValue().getAsString()));
      }
      JsonElement b = o.get("base_model");
      return new RunInfo(
          labels,
          tasks,
          r == null || r.isJsonNull() ? null : r.getAsString(),
          digests,
          b == null || b.isJsonNull() ? null : b.getAsString());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the server's run description is not valid: " + e, e);
    }
  }

  /**
   * {@code bytes} decoded as strict UTF-8, where {@code new String(bytes, UTF_8)} would put U+FFFD
   * in place of a malformed sequence and go on.
   *
   * @throws IllegalArgumentException naming the first byte that is not UTF-8
   */
  private static String utf8(byte[] bytes) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 has no more chars than bytes
    CoderResult r = decoder.decode(in, out, true);
    if (!r.isError()) {
      r = decoder.flush(out);
    }
    if (r.isError()) {
      throw new IllegalArgumentException(
          "the server's run description is not valid UTF-8 (byte "
              + (in.position() + 1)
              + " of "
              + bytes.length
              + ")");
    }
    return out.flip().toString();
  }
}
