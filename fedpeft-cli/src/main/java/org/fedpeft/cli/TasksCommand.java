package org.fedpeft.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.Example;
import org.fedpeft.data.Task;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.io.RunFolder;
import org.fedpeft.io.StagingFolder;
import org.fedpeft.run.PausePoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedpeft tasks}: the bundled (and plugged-in) tasks.
 *
 * <ul>
 *   <li>{@code tasks list [TASK...] [--seed N] [--json]} loads every registered task (or the given
 *       specs) with the default 80/10/10 splits and prints its name, description, parameters,
 *       labels (count and the first few) and split sizes;
 *   <li>{@code tasks export TASK --out DIR [--seed N] [--max-train N] [--max-validation N]
 *       [--max-test N]} writes the task's splits as {@code train.jsonl}, {@code validation.jsonl}
 *       and {@code test.jsonl}, one {@code {"text": ..., "label": ...}} object per line (plus
 *       {@code "task"} for a multi-task spec), {@code corpus.jsonl} ({@code {"id": ..., "text":
 *       ...}}, the ids being the labels) where the task has a retrieval corpus, {@code task.json}
 *       (spec, seed, labels, sizes) and {@code NOTICE.txt} (the data's licence notice, e.g.
 *       WordNet's) where the task has one.
 * </ul>
 *
 * <p>An export is atomic: the files are written into a temporary sibling folder of {@code DIR} and
 * fsynced; the folder is then renamed to {@code DIR}; {@code DIR} must not exist or be an empty
 * folder. An export that fails or is interrupted (Ctrl-C, SIGTERM) leaves nothing behind, not even
 * the parent folders it created; the temporary folder of one that was killed outright is deleted by
 * the next export to the same {@code DIR} (see {@link StagingFolder}). The split files can be read
 * back with {@code --data}/{@code --test} and by any JSON Lines reader.
 */
@Command(
    name = "tasks",
    mixinStandardHelpOptions = true,
    description = "Lists the tasks and exports a task's splits as JSON Lines.",
    subcommands = {TasksCommand.ListCommand.class, TasksCommand.ExportCommand.class})
public final class TasksCommand {

  /** JSON without HTML escaping ({@code <} stays {@code <}), for files other tools read. */
  static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private static final int SHOWN_LABELS = 6;

  /** {@code tasks list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "Loads each task (default: every registered task) with 80/10/10 splits and prints its"
              + " labels and split sizes.")
  public static final class ListCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
        paramLabel = "TASK",
        arity = "0..*",
        description = "Task specs to list, e.g. wordnet-sense-retrieval:documents=5000.")
    List<String> tasks = new ArrayList<>();

    @Option(
        names = "--seed",
        paramLabel = "SEED",
        defaultValue = "42",
        description = "Seed of the splits (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "One JSON object per task instead of text.")
    boolean json;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      List<String> specs = tasks.isEmpty() ? Tasks.names() : tasks;
      for (String taskSpec : specs) {
        List<Task> parts = Tasks.tasksOf(taskSpec);
        TaskSplits s = Tasks.load(taskSpec, seed);
        Set<String> parameters = new TreeSet<>();
        for (Task t : parts) {
          parameters.addAll(t.parameters());
        }
        String description =
            parts.size() == 1 ? parts.get(0).description() : "multi-task: " + s.tasks();
        if (json) {
          JsonObject o = new JsonObject();
          o.addProperty("task", taskSpec);
          o.addProperty("description", description);
          o.add("parameters", GSON.toJsonTree(parameters));
          o.addProperty("num_labels", s.labels().size());
          o.add("labels", GSON.toJsonTree(s.labels()));
          if (s.isMultiTask()) {
            o.add("task_labels", GSON.toJsonTree(s.taskLabels()));
          }
          o.addProperty("train", s.train().size());
          o.addProperty("validation", s.validation().size());
          o.addProperty("test", s.test().size());
          s.retrievalCorpus().ifPresent(c -> o.addProperty("corpus", c.size()));
          out.println(GSON.toJson(o));
        } else {
          out.println(taskSpec);
          out.println("  " + description);
          out.printf(
              "  labels: %d (%s)%n", s.labels().size(), abbreviate(s.labels(), SHOWN_LABELS));
          out.printf(
              "  splits: train %,d, validation %,d, test %,d%s%n",
              s.train().size(),
              s.validation().size(),
              s.test().size(),
              s.retrievalCorpus().map(c -> String.format(", corpus %,d", c.size())).orElse(""));
          out.println(
              "  parameters: " + (parameters.isEmpty() ? "(none)" : String.join(", ", parameters)));
        }
        out.flush();
      }
      return 0;
    }
  }

  /** {@code tasks export}. */
  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Writes a task's splits to DIR as train.jsonl, validation.jsonl and test.jsonl"
            + " ({\"text\", \"label\"} per line), corpus.jsonl ({\"id\", \"text\"}) for a"
            + " retrieval task, task.json and the data's licence notice (NOTICE.txt).",
        "DIR must not exist or be empty; the files appear all at once (written to a temporary"
            + " sibling folder, then renamed). An export that fails or is interrupted leaves"
            + " nothing behind."
      })
  public static final class ExportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "TASK",
        description =
            "A task spec: name, name:key=value,... or several joined by + (see '"
                + Launcher.IN_HELP
                + " tasks"
                + " list').")
    String task;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The folder.")
    Path out;

    @Option(
        names = "--seed",
        paramLabel = "SEED",
        defaultValue = "42",
        description = "Seed of the splits; use the run's (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--max-train",
        paramLabel = "N",
        description =
            "At most N training examples (stratified; of each task, for a spec joining several"
                + " with +). Default: all.")
    Integer maxTrain;

    @Option(
        names = "--max-validation",
        paramLabel = "N",
        description =
            "At most N validation examples (stratified; of each task, for a spec joining several"
                + " with +). Default: all.")
    Integer maxValidation;

    @Option(
        names = "--max-test",
        paramLabel = "N",
        description =
            "At most N test examples (stratified; of each task, for a spec joining several"
                + " with +). Default: all.")
    Integer maxTest;

    @Override
    public Integer call() throws IOException {
      TaskOptions options =
          TaskOptions.defaults()
              .withMaxTrain(cap("--max-train", maxTrain))
              .withMaxValidation(cap("--max-validation", maxValidation))
              .withMaxTest(cap("--max-test", maxTest));
      RunGuard.requireNamed("--out", out);
      Path target = out.toAbsolutePath().normalize();
      checkTarget(target);
      List<Task> parts = Tasks.tasksOf(task);
      TaskSplits s = Tasks.load(task, seed, options);
      Set<String> notices = new LinkedHashSet<>();
      for (Task t : parts) {
        t.notice().ifPresent(notices::add);
      }
      Path parent = target.getParent();
      StagingFolder staging;
      try {
        PrintWriter err = spec.commandLine().getErr();
        staging =
            StagingFolder.create(
                target,
                notice -> {
                  err.println(notice);
                  err.flush();
                });
      } catch (IOException e) {
        if (e instanceof FileSystemException fs && RunFolder.refuses(fs)) {
          throw RunFolder.refusal(fs, out, "--out", UserInputException::new);
        }
        // Not a refusal of the path (a full disk, an I/O error, writing the staging folder or its
        // lock file): the machine's failure, exit 1, naming the --out it was for.
        throw new IOException(
            "--out "
                + out
                + ": cannot create a folder in "
                + parent
                + " ("
                + Main.describe(e)
                + ")",
            e);
      }
      try (staging) {
        // Creating the staging folder puts back a folder that a killed writer had set aside while
        // replacing it (StagingFolder's leftovers), so the target is checked again before writing.
        checkTarget(target);
        write(s, staging.path(), notices);
        PausePoint.reach("tasks-export-before-rename");
        staging.commit(tmp -> moveInto(tmp, target, out));
      }
      spec.commandLine()
          .getOut()
          .printf(
              "wrote %s: train %,d, validation %,d, test %,d %s%s, %,d %s%n",
              out,
              s.train().size(),
              s.validation().size(),
              s.test().size(),
              Main.plural(s.test().size(), "example"),
              s.retrievalCorpus().map(c -> String.format(", corpus %,d", c.size())).orElse(""),
              s.labels().size(),
              Main.plural(s.labels().size(), "label"));
      return 0;
    }

    private static int cap(String option, Integer value) {
      if (value == null) {
        return TaskOptions.NO_CAP;
      }
      if (value < 1) {
        throw new UserInputException(option + " must be at least 1, got " + value);
      }
      return value;
    }

    private void write(TaskSplits s, Path dir, Set<String> notices) throws IOException {
      boolean multi = s.isMultiTask();
      writeExamples(s.train(), dir.resolve("train.jsonl"), multi);
      writeExamples(s.validation(), dir.resolve("validation.jsonl"), multi);
      writeExamples(s.test(), dir.resolve("test.jsonl"), multi);
      if (s.retrievalCorpus().isPresent()) {
        try (BufferedWriter w =
            Files.newBufferedWriter(dir.resolve("corpus.jsonl"), StandardCharsets.UTF_8)) {
          for (Example e : s.retrievalCorpus().get().examples()) {
            JsonObject o = new JsonObject();
            o.addProperty("id", e.label());
            o.addProperty("text", e.text());
            w.write(GSON.toJson(o));
            w.newLine();
          }
        }
      }
      JsonObject meta = new JsonObject();
      meta.addProperty("task", task);
      meta.addProperty("seed", seed);
      JsonArray tasks = new JsonArray();
      s.tasks().forEach(tasks::add);
      meta.add("tasks", tasks);
      meta.add("labels", GSON.toJsonTree(s.labels()));
      if (multi) {
        meta.add("task_labels", GSON.toJsonTree(s.taskLabels()));
      }
      meta.addProperty("train", s.train().size());
      meta.addProperty("validation", s.validation().size());
      meta.addProperty("test", s.test().size());
      s.retrievalCorpus().ifPresent(c -> meta.addProperty("corpus", c.size()));
      Files.writeString(
          dir.resolve("task.json"),
          new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create().toJson(meta) + "\n",
          StandardCharsets.UTF_8);
      if (!notices.isEmpty()) {
        Files.writeString(
            dir.resolve("NOTICE.txt"), String.join("\n", notices), StandardCharsets.UTF_8);
      }
    }

    private static void writeExamples(Dataset d, Path file, boolean withTask) throws IOException {
      try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        for (Example e : d.examples()) {
          JsonObject o = new JsonObject();
          o.addProperty("text", e.text());
          o.addProperty("label", e.label());
          if (withTask) {
            o.addProperty("task", e.task());
          }
          w.write(GSON.toJson(o));
          w.newLine();
        }
      }
    }

    /** Fails early, before loading, unless {@code target} is absent or an empty folder. */
    private void checkTarget(Path target) throws IOException {
      if (Files.exists(target) && !isEmptyDirectory(target)) {
        throw new UserInputException(
            "--out "
                + out
                + (Files.isDirectory(target) ? " is a folder that is not empty" : " is a file")
                + "; give a new folder");
      }
    }

    /**
     * Renames the written folder {@code tmp} to {@code target} (the folder {@code out}, as the user
     * gave it), replacing an empty folder there. A folder that appeared there with files, or a name
     * or place the file system refuses ({@link RunFolder#refusal}: permission, a name too long), is
     * the user's error naming --out; any other failure (a full disk, an I/O error) is thrown as it
     * is.
     */
    static void moveInto(Path tmp, Path target, Path out) throws IOException {
      if (Files.exists(target)) {
        if (!isEmptyDirectory(target)) {
          throw new UserInputException("--out " + out + " appeared while exporting; not replaced");
        }
        Files.delete(target);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // rename(2) reports a folder with files in the way as EEXIST or as ENOTEMPTY.
        throw new UserInputException("--out " + out + " appeared while exporting; not replaced");
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(
            "cannot rename " + tmp + " to " + target + " atomically: " + e.getMessage(), e);
      } catch (FileSystemException e) {
        throw RunFolder.refusal(
            e,
            refused ->
                new UserInputException(
                    "--out "
                        + out
                        + ": cannot rename the exported files into place ("
                        + Main.describe(refused)
                        + ")",
                    refused));
      }
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
      if (!Files.isDirectory(dir)) {
        return false;
      }
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        return !entries.iterator().hasNext();
      }
    }
  }

  static String abbreviate(List<String> values, int shown) {
    if (values.size() <= shown) {
      return String.join(", ", values);
    }
    return String.join(", ", values.subList(0, shown)) + ", ...";
  }
}
