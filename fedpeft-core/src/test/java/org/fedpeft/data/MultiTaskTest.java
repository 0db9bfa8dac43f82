package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
