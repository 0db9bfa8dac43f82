package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.fedpeft.data.DataFiles;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedpeft tasks list} and {@code fedpeft tasks export}, run as a user runs them. */
class TasksCommandTest {

  @TempDir Path tmp;

  private static List<JsonObject> jsonLines(Path file) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(JsonParser.parseString(line).getAsJsonObject());
    }
    return out;
  }

  private static void assertOk(CliRun.Result r) {
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
  }

  private static void assertUserError(CliRun.Result r, String expected) {
    assertEquals(2, r.code(), r.out() + r.err());
    assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    assertTrue(r.err().startsWith("fedpeft tasks"), r.err());
    assertTrue(r.err().contains(expected), r.err());
  }

  @Test
  void listNamesEveryTaskWithLabelsAndSizes() {
    CliRun.Result r = CliRun.run("tasks", "list", "--json");
    assertOk(r);
    List<String> names = new ArrayList<>();
    for (String line : r.out().strip().split("\n")) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      names.add(o.get("task").getAsString());
      assertTrue(o.get("num_labels").getAsInt() >= 3, line);
      assertTrue(o.get("train").getAsInt() > o.get("test").getAsInt(), line);
      assertTrue(o.get("test").getAsInt() >= 290, line);
      assertFalse(o.get("description").getAsString().isBlank(), line);
      if (names.get(names.size() - 1).equals(Tasks.SENSE_RETRIEVAL)) {
        assertEquals(1000, o.get("corpus").getAsInt());
        assertEquals(1000, o.get("num_labels").getAsInt());
      }
      if (names.get(names.size() - 1).equals(Tasks.VERB_FRAME)) {
        assertEquals(
            "[\"ambitransitive\",\"intransitive\",\"transitive\"]", o.get("labels").toString());
        assertEquals("[\"balanced\"]", o.get("parameters").toString());
      }
    }
    assertEquals(Tasks.names(), names);
    assertTrue(names.size() >= 7, names.toString());
  }

  @Test
  void listInTextForChosenSpecs() {
    CliRun.Result r = CliRun.run("tasks", "list", "wordnet-adjective-type", "wordnet-pos");
    assertOk(r);
    assertTrue(r.out().startsWith("wordnet-adjective-type\n"), r.out());
    assertTrue(r.out().contains("  labels: 3 (head, pertainym, satellite)\n"), r.out());
    assertTrue(r.out().contains("  labels: 4 (adj, adv, noun, verb)\n"), r.out());
    assertTrue(r.out().contains("  splits: train 8,796, validation 1,101, test 1,098\n"), r.out());
    assertTrue(r.out().contains("  parameters: balanced, includeParticipial\n"), r.out());
    assertUserError(CliRun.run("tasks", "list", "wordnet-nouns"), "known tasks: ");
  }

  @Test
  void exportWritesTheSplitsTheCorpusAndTheNotice() throws Exception {
    Path out = tmp.resolve("retrieval");
    String spec = "wordnet-sense-retrieval:documents=50";
    CliRun.Result r = CliRun.run("tasks", "export", spec, "--out", out.toString(), "--seed", "3");
    assertOk(r);
    assertTrue(r.out().contains("corpus 50"), r.out());
    TaskSplits expected = Tasks.load(spec, 3, TaskOptions.defaults());

    List<JsonObject> corpus = jsonLines(out.resolve("corpus.jsonl"));
    assertEquals(50, corpus.size());
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < corpus.size(); i++) {
      JsonObject doc = corpus.get(i);
      assertEquals(Set.of("id", "text"), doc.keySet());
      assertEquals(expected.corpus().example(i).label(), doc.get("id").getAsString());
      assertEquals(expected.corpus().example(i).text(), doc.get("text").getAsString());
      ids.add(doc.get("id").getAsString());
    }
    for (String split : List.of("train", "validation", "test")) {
      List<JsonObject> lines = jsonLines(out.resolve(split + ".jsonl"));
      Dataset want =
          switch (split) {
            case "train" -> expected.train();
            case "validation" -> expected.validation();
            default -> expected.test();
          };
      assertEquals(want.size(), lines.size(), split);
      for (int i = 0; i < lines.size(); i++) {
        assertEquals(Set.of("text", "label"), lines.get(i).keySet());
        assertEquals(want.example(i).text(), lines.get(i).get("text").getAsString());
        assertEquals(want.example(i).label(), lines.get(i).get("label").getAsString());
        assertTrue(ids.contains(lines.get(i).get("label").getAsString()));
      }
    }
    JsonObject meta =
        JsonParser.parseString(Files.readString(out.resolve("task.json"))).getAsJsonObject();
    assertEquals(spec, meta.get("task").getAsString());
    assertEquals(3, meta.get("seed").getAsLong());
    assertEquals(50, meta.get("corpus").getAsInt());
    assertTrue(Files.readString(out.resolve("NOTICE.txt")).contains("Princeton University"));
    // Nothing but the folder itself is left next to it.
    try (Stream<Path> siblings = Files.list(tmp)) {
      assertEquals(List.of(out), siblings.toList());
    }
  }

  @Test
  void anExportReadsBackAsUserData() throws Exception {
    Path out = tmp.resolve("verbs");
    CliRun.Result r =
        CliRun.run(
            "tasks", "export", Tasks.VERB_FRAME, "--out", out.toString(), "--max-train", "200");
    assertOk(r);
    assertFalse(Files.exists(out.resolve("corpus.jsonl")));
    TaskSplits expected =
        Tasks.load(Tasks.VERB_FRAME, 42, TaskOptions.defaults().withMaxTrain(200));
    Dataset train = DataFiles.read(out.resolve("train.jsonl"));
    assertEquals(200, train.size());
    assertEquals(expected.labels(), train.labels());
    for (int i = 0; i < train.size(); i++) {
      assertEquals(expected.train().example(i).text(), train.example(i).text());
      assertEquals(expected.train().example(i).label(), train.example(i).label());
    }
  }

  @Test
  void aMultiTaskExportCarriesTheTask() throws Exception {
    Path out = tmp.resolve("multi");
    CliRun.Result r =
        CliRun.run(
            "tasks",
            "export",
            "wordnet-verb-frame+wordnet-domain-topic",
            "--out",
            out.toString(),
            "--max-train",
            "30",
            "--max-validation",
            "10",
            "--max-test",
            "10");
    assertOk(r);
    List<JsonObject> train = jsonLines(out.resolve("train.jsonl"));
    assertEquals(60, train.size());
    assertEquals(Set.of("text", "label", "task"), train.get(0).keySet());
    Dataset back = DataFiles.read(out.resolve("train.jsonl"));
    assertEquals(List.of(Tasks.DOMAIN_TOPIC, Tasks.VERB_FRAME), back.tasks());
    JsonObject meta =
        JsonParser.parseString(Files.readString(out.resolve("task.json"))).getAsJsonObject();
    assertEquals(15, meta.getAsJsonObject("task_labels").getAsJsonArray(Tasks.DOMAIN_TOPIC).size());
    assertEquals(
        1, Files.readString(out.resolve("NOTICE.txt")).split("WordNet 3.1 Copyright").length - 1);
  }

  @Test
  void clearErrorsAndNoHalfWrittenFolder() throws Exception {
    Path out = tmp.resolve("once");
    assertOk(CliRun.run("tasks", "export", Tasks.VERB_FRAME, "--out", out.toString()));
    assertUserError(
        CliRun.run("tasks", "export", Tasks.VERB_FRAME, "--out", out.toString()),
        "is a folder that is not empty");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertOk(CliRun.run("tasks", "export", Tasks.VERB_FRAME, "--out", empty.toString()));
    assertTrue(Files.exists(empty.resolve("test.jsonl")));
    Path file = Files.writeString(tmp.resolve("file.txt"), "x");
    assertUserError(
        CliRun.run("tasks", "export", Tasks.VERB_FRAME, "--out", file.toString()), "is a file");
    assertUserError(
        CliRun.run("tasks", "export", Tasks.VERB_FRAME, "--out", file.resolve("sub").toString()),
        "cannot create the output folder");
    assertUserError(
        CliRun.run("tasks", "export", "wordnet-nouns", "--out", tmp.resolve("x").toString()),
        "unknown task \"wordnet-nouns\" (did you mean \"wordnet-pos\"?); known tasks:"
            + " wordnet-adjective-type");
    assertUserError(
        CliRun.run(
            "tasks", "export", "wordnet-pos:colour=red", "--out", tmp.resolve("x").toString()),
        "known parameters: balanced");
    assertUserError(
        CliRun.run(
            "tasks", "export", Tasks.POS, "--out", tmp.resolve("x").toString(), "--max-test", "0"),
        "--max-test must be at least 1, got 0");
    assertUserError(CliRun.run("tasks", "export", Tasks.POS), "Missing required option: '--out");
    assertUserError(CliRun.run("tasks"), "Missing required subcommand");
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(
          Set.of(out, empty, file), new HashSet<>(left.toList()), "no temporary folder is left");
    }
    CliRun.Result help = CliRun.run("tasks", "export", "--help");
    assertEquals(0, help.code());
    assertTrue(help.out().startsWith("Usage: fedpeft tasks export"), help.out());
  }
}
