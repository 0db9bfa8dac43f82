package org.fedpeft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TaskSource#load(String, Path, Path, TaskSource.Labels, TaskOptions, long)} for a trained
 * model's labels: the training file may hold a label they lack (nothing of it is scored with a test
 * file), a test label they lack is refused as not one of them, and a test label they list that the
 * training file lacks is indexed after the training file's own labels.
 */
class TaskSourceModelLabelsTest {

  @TempDir Path tmp;

  private Path file(String name, String... labels) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < labels.length; i++) {
      lines.add("{\"text\": \"text " + i + "\", \"label\": \"" + labels[i] + "\"}");
    }
    return Files.write(tmp.resolve(name), lines);
  }

  @Test
  void theTrainingFileMayHoldALabelTheModelLacks() throws Exception {
    Path data = file("data.jsonl", "a", "b", "z", "a", "b", "z", "a", "b", "z", "a");
    Path test = file("test.jsonl", "a", "c", "b");
    List<String> model = List.of("c", "a", "b");
    TaskSplits s =
        TaskSource.load(
            "unused",
            data,
            test,
            TaskSource.Labels.model(model, "the model's labels"),
            TaskOptions.defaults(),
            1);
    // The training file's own labels, then the model's that it lacks.
    assertEquals(List.of("a", "b", "z", "c"), s.test().labels());
    assertEquals(3, s.test().size());
    assertEquals(
        List.of("c", "a", "b"), LabelCheck.listed(s.test(), model, "the model's labels").labels());

    // A run's labels: the training file's unlisted label is refused at its first line.
    DataFormatException run =
        assertThrows(
            DataFormatException.class,
            () -> TaskSource.load("unused", data, test, model, TaskOptions.defaults(), 1));
    assertEquals(
        data + ":3: label \"z\" is not one of the run's labels [c, a, b]; 2 more such examples",
        run.getMessage());
  }

  @Test
  void aTestLabelTheModelLacksIsRefusedAsNotOneOfItsLabels() throws Exception {
    Path data = file("data2.jsonl", "a", "b", "z", "a", "b", "a");
    Path test = file("test2.jsonl", "a", "z");
    DataFormatException e =
        assertThrows(
            DataFormatException.class,
            () ->
                TaskSource.load(
                    "unused",
                    data,
                    test,
                    TaskSource.Labels.model(List.of("a", "b"), "the model's labels"),
                    TaskOptions.defaults(),
                    1));
    assertEquals(test + ":2: label \"z\" is not one of the model's labels [a, b]", e.getMessage());
  }
}
