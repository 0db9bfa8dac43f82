package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.fedpeft.io.NaturalOrder;
import org.junit.jupiter.api.Test;

/**
 * The report lists clients in natural order ({@link NaturalOrder}): {@code client-2} before {@code
 * client-10}, in the label grid, the natural-partition group table and the table of what each
 * client trained (a deployment's node ids are not zero-padded as simulated clients' are).
 */
class ReportClientOrderTest {

  private static final List<String> IDS = List.of("client-10", "client-2", "client-1");

  @Test
  void naturalOrderComparesDigitRunsAsNumbers() {
    List<String> ids = new ArrayList<>(List.of("b", "client-10", "client-2", "a2", "a10", "x"));
    ids.sort(NaturalOrder.INSTANCE);
    assertEquals(List.of("a2", "a10", "b", "client-2", "client-10", "x"), ids);
    assertTrue(NaturalOrder.INSTANCE.compare("client-02", "client-2") != 0, "total order");
    assertTrue(
        NaturalOrder.INSTANCE.compare("n99999999999999999999", "n100000000000000000000") < 0);
  }

  private static JsonObject partition() {
    JsonObject clients = new JsonObject();
    for (String id : IDS) {
      JsonObject c = new JsonObject();
      JsonArray h = new JsonArray();
      h.add(1);
      h.add(2);
      c.add("label_histogram", h);
      c.addProperty("group", "group-of-" + id);
      clients.add(id, c);
    }
    JsonObject p = new JsonObject();
    JsonArray labels = new JsonArray();
    labels.add("neg");
    labels.add("pos");
    p.add("labels", labels);
    p.add("clients", clients);
    return p;
  }

  private static void assertInOrder(String html, String... parts) {
    int at = -1;
    for (String part : parts) {
      int next = html.indexOf(part, at + 1);
      assertTrue(next > at, part + " after the previous one in:\n" + html);
      at = next;
    }
  }

  @Test
  void labelGridRowsInNaturalOrder() {
    assertInOrder(
        ReportWriter.labelGrid(partition()),
        ">client-1</text>",
        ">client-2</text>",
        ">client-10</text>");
  }

  @Test
  void naturalGroupsInNaturalOrder() {
    assertInOrder(
        ReportWriter.naturalGroups(partition()),
        "<td>client-1</td>",
        "<td>client-2</td>",
        "<td>client-10</td>");
  }

  @Test
  void assignmentsInNaturalOrder() {
    JsonObject r = new JsonObject();
    r.addProperty("round", 1);
    JsonArray sampled = new JsonArray();
    IDS.forEach(sampled::add);
    r.add("sampled", sampled);
    JsonObject ca = new JsonObject();
    JsonObject st = new JsonObject();
    for (String id : IDS) {
      JsonObject m = new JsonObject();
      m.addProperty("heads_mask", 1.0);
      ca.add(id, m);
      st.addProperty("fedbe.blocks." + id, 1.0);
    }
    r.add("client_adapter", ca);
    r.add("strategy", st);
    assertInOrder(
        ReportWriter.assignments(List.of(r), 1),
        "<td>client-1</td>",
        "<td>client-2</td>",
        "<td>client-10</td>");
  }

  @Test
  void perClientChartsInNaturalOrder() {
    JsonObject r = new JsonObject();
    r.addProperty("round", 1);
    JsonObject acc = new JsonObject();
    for (String id : IDS) {
      acc.addProperty(id, 0.5);
    }
    r.add("client_accuracy", acc);
    assertInOrder(
        ReportWriter.perClientCharts(List.of(r)), ">client-1<", ">client-2<", ">client-10<");
  }
}
