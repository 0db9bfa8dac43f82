package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several tasks loaded as one dataset, for multi-task federations (one task per client). */
class MultiTaskTest {
  private static final List<String> TASKS =
      List.of(Tasks.VERB_FRAME, Tasks.DOMAIN_TOPIC, Tasks.ADJECTIVE_TYPE, Tasks.POS);
  private static final TaskOptions SMALL =
      TaskOptions.defaults().withMaxTrain(300).withMaxValidation(50).withMaxTest(60);

  @Test
  void examplesCarryTheirTaskAndEachTaskKeepsItsLabels() {
    TaskSplits multi = Tasks.load(String.join("+", TASKS), 5, SMALL);
    assertTrue(multi.isMultiTask());
    assertEquals(TASKS, multi.tasks());
    assertEquals(String.join("+", TASKS), multi.task());
    assertEquals(4 * 300, multi.train().size());
    assertEquals(4 * 60, multi.test().size());
    assertTrue(multi.retrievalCorpus().isEmpty());
    int union = 0;
    for (String t : TASKS) {
      TaskSplits alone = Tasks.load(t, 5, SMALL);
      assertEquals(alone.labels(), multi.taskLabels().get(t));
      union += alone.labels().size();
      TaskSplits view = multi.taskView(t);
      assertEquals(alone.labels(), view.labels());
      assertEquals(alone.train().examples(), view.train().examples());
      assertEquals(alone.validation().examples(), view.validation().examples());
      assertEquals(alone.test().examples(), view.test().examples());
      assertEquals(List.of(t), view.tasks());
      assertEquals(t + "/test", view.test().name());
    }
    assertEquals(union, multi.labels().size()); // the label sets are disjoint
    assertEquals(TASKS.size(), multi.taskLabels().size());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> multi.taskView(Tasks.NOUN_TOPIC));
    assertTrue(e.getMessage().contains("its tasks are"), e.getMessage());
  }

  @Test
  void naturalTaskPartitionGivesEachClientOneTask() {
    TaskSplits multi = Tasks.load(String.join("+", TASKS), 5, SMALL);
    Partitioner natural = Partitioners.parse("natural:task");
    List<int[]> parts = natural.partition(multi.train(), TASKS.size(), 5);
    assertEquals(TASKS.size(), parts.size());
    List<String> owners = new ArrayList<>();
    for (int[] part : parts) {
      assertEquals(300, part.length);
      String task = multi.train().example(part[0]).task();
      for (int i : part) {
        assertEquals(task, multi.train().example(i).task());
        assertTrue(multi.taskLabels().get(task).contains(multi.train().example(i).label()));
      }
      owners.add(task);
    }
    assertEquals(
        List.of(Tasks.ADJECTIVE_TYPE, Tasks.DOMAIN_TOPIC, Tasks.POS, Tasks.VERB_FRAME), owners);
  }

  @Test
  void parametersPerTaskDuplicatesAndSingleTasks() {
    TaskSplits multi =
        Tasks.load("wordnet-domain-topic:minClassSize=50 + wordnet-verb-frame", 1, SMALL);
    assertEquals(26, multi.taskLabels().get(Tasks.DOMAIN_TOPIC).size());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Tasks.load("wordnet-pos+wordnet-pos:balanced=false", 1, SMALL));
    assertTrue(e.getMessage().contains("named twice"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Tasks.load("wordnet-pos+nosuch", 1, SMALL));
    assertTrue(e.getMessage().contains("unknown task \"nosuch\""), e.getMessage());

    TaskSplits single = Tasks.load(Tasks.VERB_FRAME, 1, SMALL);
    assertFalse(single.isMultiTask());
    assertEquals(Map.of(Tasks.VERB_FRAME, single.labels()), single.taskLabels());
    assertSame(single, single.taskView(Tasks.VERB_FRAME));
    assertEquals(
        List.of(Tasks.VERB_FRAME),
        Tasks.tasksOf(Tasks.VERB_FRAME).stream().map(Task::name).toList());
  }

  @Test
  void perTaskLabelsAreDerivedFromAUsersTaskColumnAndChecked() {
    List<Example> ex =
        List.of(
            new Example("a", "x", null, "t1"),
            new Example("b", "y", null, "t1"),
            new Example("c", "z", null, "t2"));
    Dataset d = Dataset.of("mine", ex);
    Dataset empty = Dataset.of("mine", List.of(), d.labels());
    TaskSplits s = new TaskSplits("mine", d, empty, empty, null);
    assertEquals(Map.of("t1", List.of("x", "y"), "t2", List.of("z")), s.taskLabels());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new TaskSplits(
                    "mine",
                    d,
                    empty,
                    empty,
                    null,
                    Map.of("t1", List.of("x"), "t2", List.of("y", "z"))));
    assertTrue(
        e.getMessage().contains("mine#1: label \"y\" is not a label of task t1"), e.getMessage());
  }

  /**
   * QA, 3 December: a test file of its own (train --test, simulate data.test) added its tasks and
   * (task, label) pairs to those of the training data, so a test example labelled with another
   * task's label was scored, an unknown task became a task of the head ("task zoo has the same
   * label"), and a test file with a task column beside training data without one was blamed on a
   * training line ("task \"null\""). Its examples are now checked against the training data's.
   */
  @Test
  void aTestFileOfItsOwnIsCheckedAgainstTheTrainingDatasTasks(@TempDir Path dir) throws Exception {
    Path train = dir.resolve("train.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      lines.add(line("cat " + i, "animal", "kind"));
      lines.add(line("saw " + i, "tool", "kind"));
      lines.add(line("great " + i, "pos", "mood"));
      lines.add(line("awful " + i, "neg", "mood"));
    }
    Files.write(train, lines);
    Path good = dir.resolve("good.jsonl");
    Files.write(good, List.of(line("dog", "animal", "kind"), line("fine", "pos", "mood")));
    TaskOptions o = TaskOptions.defaults();
    TaskSplits s = TaskSource.load("unused", train, good, o, 1);
    assertEquals(
        Map.of("kind", List.of("animal", "tool"), "mood", List.of("neg", "pos")), s.taskLabels());

    Path cross = dir.resolve("cross.jsonl");
    Files.write(cross, List.of(line("dog", "animal", "kind"), line("a cat", "pos", "kind")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> TaskSource.load("unused", train, cross, o, 1));
    assertTrue(
        e.getMessage().contains(cross + ":2: label \"pos\" is not a label of task kind"),
        e.getMessage());

    Path zoo = dir.resolve("zoo.jsonl");
    Files.write(zoo, List.of(line("dog", "animal", "zoo")));
    e = assertThrows(IllegalArgumentException.class, () -> TaskSource.load("u", train, zoo, o, 1));
    assertTrue(
        e.getMessage()
            .contains(
                zoo + ":1: task \"zoo\" is not one of the training examples' tasks [kind, mood]"),
        e.getMessage());

    Path noTask = dir.resolve("no-task.jsonl");
    Files.write(noTask, List.of("{\"text\": \"dog\", \"label\": \"animal\"}"));
    e =
        assertThrows(
            IllegalArgumentException.class, () -> TaskSource.load("u", train, noTask, o, 1));
    assertTrue(
        e.getMessage()
            .contains(
                noTask
                    + ":1: no \"task\" field, but the training examples name their tasks [kind,"
                    + " mood]"),
        e.getMessage());

    // The reverse: training data without a task column, a test file with one.
    Path plain = dir.resolve("plain.jsonl");
    List<String> plainLines = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      plainLines.add("{\"text\": \"cat " + i + "\", \"label\": \"animal\"}");
      plainLines.add("{\"text\": \"saw " + i + "\", \"label\": \"tool\"}");
    }
    Files.write(plain, plainLines);
    Path kinds = dir.resolve("kinds.jsonl");
    Files.write(kinds, List.of(line("dog", "animal", "kind"), line("hammer", "tool", "kind")));
    e =
        assertThrows(
            IllegalArgumentException.class, () -> TaskSource.load("u", plain, kinds, o, 1));
    assertTrue(
        e.getMessage()
            .contains(
                kinds
                    + ":1: task \"kind\", but the training examples name no task (no \"task\""
                    + " field)"),
        e.getMessage());
  }

  private static String line(String text, String label, String task) {
    return "{\"text\": \"" + text + "\", \"label\": \"" + label + "\", \"task\": \"" + task + "\"}";
  }
}
