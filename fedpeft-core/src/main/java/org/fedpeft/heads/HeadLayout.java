package org.fedpeft.heads;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.fedpeft.peft.AdapterFiles;

/**
 * The outputs of a classification head: one task's labels, or several tasks' labels side by side
 * (one block of outputs per task, in task order). A multi-task head is one linear head per task:
 * each task's block has its own tensors, {@code classifier.<task>.weight} and {@code
 * classifier.<task>.bias}, and an example is scored only against its own task's block (the other
 * blocks are masked out of its softmax), so a task's tensors receive gradient only from that task's
 * examples and a client sends only the heads of the tasks it holds. A single-task head keeps the
 * names {@code classifier.weight} and {@code classifier.bias}.
 *
 * <p>Why per-task heads rather than one head scoring texts against embedded label names: the tasks'
 * label sets differ in size and kind (parts of speech, lexicographer files, domain synsets), a
 * per-task linear head is what the single-task runs already use (so a multi-task run differs from
 * them only in which block answers), and the server can average each task's head over exactly the
 * clients that trained it with the per-tensor mean every strategy already applies.
 *
 * @param parts the tasks in output order; one part with a null task for a single-task head
 */
public record HeadLayout(List<Part> parts) {

  /**
   * One block of outputs.
   *
   * @param task the task's name, or null for the only part of a single-task head
   * @param labels the block's size (at least 1)
   */
  public record Part(String task, int labels) {
    /** Checks the size. */
    public Part {
      if (labels < 1) {
        throw new IllegalArgumentException("a head needs at least 1 label, got " + labels);
      }
    }
  }

  /** Checks that a multi-task layout names every task, each once. */
  public HeadLayout {
    parts = List.copyOf(parts);
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("a head layout needs at least one part");
    }
    if (parts.size() > 1) {
      Set<String> seen = new HashSet<>();
      for (Part p : parts) {
        if (p.task() == null || p.task().isBlank() || !seen.add(p.task())) {
          throw new IllegalArgumentException(
              "every task of a multi-task head needs a distinct name, got " + parts);
        }
      }
    } else if (parts.get(0).task() != null) {
      throw new IllegalArgumentException("a single-task head has no task name");
    }
  }

  /** A single-task head with {@code labels} outputs. */
  public static HeadLayout single(int labels) {
    return new HeadLayout(List.of(new Part(null, labels)));
  }

  /**
   * The layout of a dataset's tasks: single-task for one task, else one part per task in order.
   *
   * @param taskLabels each task's labels, as {@link org.fedpeft.data.TaskSplits#taskLabels()}
   */
  public static HeadLayout of(Map<String, List<String>> taskLabels) {
    if (taskLabels.size() == 1) {
      return single(taskLabels.values().iterator().next().size());
    }
    List<Part> parts = new ArrayList<>();
    taskLabels.forEach((t, labels) -> parts.add(new Part(t, labels.size())));
    return new HeadLayout(parts);
  }

  /** A saved head's layout: one block per task when its {@code taskLabels} holds several. */
  public static HeadLayout of(AdapterFiles.Saved saved) {
    return saved.taskLabels().size() > 1 ? of(saved.taskLabels()) : single(saved.labels().size());
  }

  /** Whether the head has one block per task. */
  public boolean multiTask() {
    return parts.size() > 1;
  }

  /** All outputs. */
  public int total() {
    int n = 0;
    for (Part p : parts) {
      n += p.labels();
    }
    return n;
  }

  /** The first output of part {@code i}. */
  public int offset(int i) {
    int n = 0;
    for (int k = 0; k < i; k++) {
      n += parts.get(k).labels();
    }
    return n;
  }

  /** The task names in order (empty for a single-task head). */
  public List<String> tasks() {
    return multiTask() ? parts.stream().map(Part::task).toList() : List.of();
  }

  /**
   * The part of a task.
   *
   * @throws IllegalArgumentException naming the tasks there are
   */
  public int indexOf(String task) {
    for (int i = 0; i < parts.size(); i++) {
      if (Objects.equals(parts.get(i).task(), task)) {
        return i;
      }
    }
    throw new IllegalArgumentException("the head has no task \"" + task + "\"; it has " + tasks());
  }

  /** The name of part {@code i}'s weight tensor. */
  public String weightName(int i) {
    return prefix(i) + "weight";
  }

  /** The name of part {@code i}'s bias tensor. */
  public String biasName(int i) {
    return prefix(i) + "bias";
  }

  private String prefix(int i) {
    return multiTask() ? "classifier." + parts.get(i).task() + "." : "classifier.";
  }
}
