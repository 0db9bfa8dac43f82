package org.fedpeft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigException;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.Example;
import org.fedpeft.data.TaskSplits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data keys of a run whose server reads no training data: {@code data.labels} (the run's
 * labels; without {@code data.file}, the clients hold the data), {@code data.split = "none"} (a
 * data file as the training split, whole and in file order) and a run without a test split.
 */
class ServerDataSplitsTest {

  @TempDir Path tmp;

  private Path file(String name, String... labelsAndClients) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < labelsAndClients.length; i++) {
      String[] lc = labelsAndClients[i].split("@");
      JsonObject o = new JsonObject();
      o.addProperty("text", "text " + i);
      o.addProperty("label", lc[0]);
      if (lc.length > 1) {
        o.addProperty("client", lc[1]);
      }
      lines.add(o.toString());
    }
    return Files.write(tmp.resolve(name), lines);
  }

  private static SimulationConfig config(Map<String, String> set) {
    return SimulationConfig.of(Map.of(), set, "run.toml");
  }

  private static Map<String, String> keys(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void splitNoneKeepsEveryExampleInFileOrderWithTheListedLabels() throws Exception {
    Path data = file("d.jsonl", "b@x", "a@y", "b@x", "c@y", "a@x");
    SimulationConfig c =
        config(keys("data.file", data.toString(), "data.split", "none", "data.labels", "c,b,a,z"));
    assertFalse(c.data().hasTestSplit());
    assertFalse(c.data().heldByClients());
    TaskSplits s = Population.loadSplits(c);
    assertEquals(List.of("c", "b", "a", "z"), s.labels());
    assertEquals(
        List.of("text 0", "text 1", "text 2", "text 3", "text 4"),
        s.train().examples().stream().map(Example::text).toList());
    assertEquals(List.of(1, 2, 1, 0, 2), toList(s.train().labelIndices()));
    assertEquals(0, s.validation().size());
    assertEquals(0, s.test().size());

    // without data.labels the file's own labels, sorted
    TaskSplits own =
        Population.loadSplits(config(keys("data.file", data.toString(), "data.split", "none")));
    assertEquals(List.of("a", "b", "c"), own.labels());

    // with data.test: that file is the test split, in the run's labels
    Path test = file("t.jsonl", "a", "z");
    TaskSplits withTest =
        Population.loadSplits(
            config(
                keys(
                    "data.file",
                    data.toString(),
                    "data.split",
                    "none",
                    "data.labels",
                    "c,b,a,z",
                    "data.test",
                    test.toString())));
    assertEquals(List.of(2, 3), toList(withTest.test().labelIndices()));
  }

  @Test
  void aLabelThatDataLabelsDoesNotListIsRefusedAtItsLine() throws Exception {
    Path data = file("d.jsonl", "a@x", "b@x", "q@y", "q@y");
    DataFormatException e =
        assertThrows(
            DataFormatException.class,
            () ->
                Population.loadSplits(
                    config(
                        keys(
                            "data.file",
                            data.toString(),
                            "data.split",
                            "none",
                            "data.labels",
                            "a,b"))));
    assertEquals(
        data
            + ":3: label \"q\" is not one of the run's labels [a, b]; 1 more such example; add the"
            + " label to data.labels (a class of the run), or remove or relabel the example",
        e.getMessage());
    // the stratified split too
    e =
        assertThrows(
            DataFormatException.class,
            () ->
                Population.loadSplits(
                    config(keys("data.file", data.toString(), "data.labels", "a,b"))));
    assertTrue(
        e.getMessage().contains("label \"q\" is not one of the run's labels"), e.getMessage());
  }

  @Test
  void withoutDataFileTheClientsHoldTheDataAndTheServerOnlyItsTestFile() throws Exception {
    SimulationConfig c = config(keys("data.labels", "neg,pos"));
    assertTrue(c.data().heldByClients());
    assertFalse(c.data().hasTestSplit());
    TaskSplits s = Population.loadSplits(c);
    assertEquals(List.of("neg", "pos"), s.labels());
    assertEquals(Population.CLIENTS_DATA, s.task());
    assertEquals(0, s.train().size());
    assertEquals(0, s.test().size());
    assertEquals(List.of(Population.CLIENTS_DATA), s.tasks());

    Path test = file("t.jsonl", "pos", "neg", "pos", "pos");
    SimulationConfig withTest =
        config(keys("data.labels", "neg,pos", "data.test", test.toString(), "data.max_eval", "2"));
    assertTrue(withTest.data().hasTestSplit());
    TaskSplits t = Population.loadSplits(withTest);
    assertEquals(2, t.test().size(), "capped by data.max_eval");
    assertEquals(0, t.train().size());

    Path bad = file("bad.jsonl", "pos", "maybe");
    DataFormatException e =
        assertThrows(
            DataFormatException.class,
            () ->
                Population.loadSplits(
                    config(keys("data.labels", "neg,pos", "data.test", bad.toString()))));
    assertEquals(
        bad
            + ":2: label \"maybe\" is not one of the run's labels [neg, pos]; add the label to"
            + " data.labels (a class of the run), or remove or relabel the example",
        e.getMessage());

    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Population.loadSplits(
                    config(keys("data.labels", "neg,pos", "data.test", tmp + "/none.jsonl"))));
    assertEquals(
        "data.test = " + tmp + "/none.jsonl: no such file or folder", missing.getMessage());

    IllegalArgumentException contrastive =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Population.loadSplits(
                    config(keys("data.labels", "neg,pos", "client.objective", "contrastive"))));
    assertTrue(contrastive.getMessage().contains("client.objective"), contrastive.getMessage());
  }

  @Test
  void theDataKeysAreChecked() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> config(keys("data.test", "t.jsonl")));
    assertTrue(
        e.getMessage().startsWith("--set: data.test needs data.file, or data.labels"),
        e.getMessage());
    e = assertThrows(ConfigException.class, () -> config(keys("data.labels", "a,b,a")));
    assertTrue(e.getMessage().contains("data.labels = [a, b, a] is invalid"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> config(keys("data.split", "random")));
    assertTrue(e.getMessage().contains("stratified or none"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () -> config(keys("data.labels", "a,b", "data.client_holdout", "0")));
    assertTrue(e.getMessage().contains("data.client_holdout = 0 leaves nothing"), e.getMessage());
    e =
        assertThrows(
            ConfigException.class,
            () ->
                config(
                    keys("data.file", "q.jsonl", "data.corpus", "c.jsonl", "data.split", "none")));
    assertTrue(e.getMessage().contains("data.split = \"none\""), e.getMessage());
    // a bundled task and a stratified file split have test splits
    assertTrue(config(Map.of()).data().hasTestSplit());
    assertTrue(config(keys("data.file", "d.jsonl")).data().hasTestSplit());
    // the new keys round-trip through config.json
    SimulationConfig c = config(keys("data.labels", "x,y", "data.split", "none"));
    SimulationConfig back = SimulationConfig.fromJson(c.toJson());
    assertEquals(List.of("x", "y"), back.data().labels());
    assertEquals("none", back.data().split());
  }

  private static List<Integer> toList(int[] a) {
    List<Integer> l = new ArrayList<>();
    for (int v : a) {
      l.add(v);
    }
    return l;
  }
}
