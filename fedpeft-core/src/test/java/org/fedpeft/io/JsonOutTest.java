package org.fedpeft.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class JsonOutTest {

  @Test
  void aLineLeavesOutNullAndNonFiniteMembersAndIsStrictJson() throws Exception {
    Map<String, Object> clients = new TreeMap<>();
    clients.put("client-0", 0.5);
    clients.put("client-1", null);
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("round", 3);
    line.put("accuracy", 0.25);
    line.put("client_accuracy_mean", Double.NaN);
    line.put("train_loss", Double.POSITIVE_INFINITY);
    line.put("f", Float.NEGATIVE_INFINITY);
    line.put("client_accuracy", clients);
    line.put("series", List.of(1.0, Double.NaN));
    line.put("note", "<a & b>");
    String json = JsonOut.line(line);
    assertEquals(
        "{\"round\":3,\"accuracy\":0.25,\"client_accuracy\":{\"client-0\":0.5},"
            + "\"series\":[1.0,null],\"note\":\"<a & b>\"}",
        json);
    StrictJson.parse(json); // throws on NaN or Infinity
  }

  @Test
  void aDocumentKeepsThemAsNullAndTreesAreMadeFiniteWhenWritten() throws Exception {
    JsonObject summary = new JsonObject();
    summary.addProperty("final_client_accuracy_mean", Double.NaN);
    summary.add("rounds_to_target", null);
    summary.addProperty("final_loss", 1.5f);
    JsonArray a = new JsonArray();
    a.add(Float.NaN);
    summary.add("a", a);
    String json = JsonOut.document(summary);
    assertEquals(
        "{\"final_client_accuracy_mean\":null,\"rounds_to_target\":null,\"final_loss\":1.5,"
            + "\"a\":[null]}",
        json);
    StrictJson.parse(json);
    assertEquals("{\"final_loss\":1.5,\"a\":[null]}", JsonOut.line(summary));
  }

  /**
   * QA, 3 December: a float32 value widened to double was written with its exact binary value
   * ({@code "lora_dropout": 0.05000000074505806}); {@link JsonOut#decimal} gives its shortest
   * decimal.
   */
  @Test
  void aFloatIsWrittenAsItsShortestDecimal() {
    JsonObject o = new JsonObject();
    o.addProperty("widened", (double) 0.05f);
    o.addProperty("dropout", JsonOut.decimal(0.05f));
    o.addProperty("small", JsonOut.decimal(1e-5f));
    o.addProperty("whole", JsonOut.decimal(16f));
    assertEquals(
        "{\"widened\":0.05000000074505806,\"dropout\":0.05,\"small\":1.0E-5,\"whole\":16.0}",
        JsonOut.line(o));
    assertEquals(Double.POSITIVE_INFINITY, JsonOut.decimal(Float.POSITIVE_INFINITY));
  }
}
