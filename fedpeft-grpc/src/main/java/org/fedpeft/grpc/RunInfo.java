package org.fedpeft.grpc;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a server tells every node about its run when it welcomes it (the payload of the WELCOME
 * frame, as UTF-8 JSON {@code {"labels": [...]}}): the run's label vocabulary in class-index order,
 * so that a node reading its own data file can map its labels to the server's class indices, and a
 * node whose data has a label the run lacks can say so before it trains.
 *
 * @param labels the label vocabulary in class-index order, or null when the server sent none
 */
public record RunInfo(List<String> labels) {

  /** Copies the list. */
  public RunInfo {
    labels = labels == null ? null : List.copyOf(labels);
  }

  /** A run whose server says nothing about it. */
  public static RunInfo none() {
    return new RunInfo(null);
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
    return o.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads the WELCOME payload.
   *
   * @throws IllegalArgumentException if it is not this JSON
   */
  static RunInfo fromBytes(byte[] bytes) {
    if (bytes.length == 0) {
      return none();
    }
    try {
      JsonObject o =
          JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8)).getAsJsonObject();
      JsonElement l = o.get("labels");
      if (l == null || l.isJsonNull()) {
        return none();
      }
      List<String> labels = new ArrayList<>();
      for (JsonElement e : l.getAsJsonArray()) {
        labels.add(e.getAsString());
      }
      return new RunInfo(labels);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the server's run description is not valid: " + e, e);
    }
  }
}
