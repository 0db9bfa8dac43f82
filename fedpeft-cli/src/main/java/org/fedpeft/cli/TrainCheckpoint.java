package org.fedpeft.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedpeft.io.JsonFiles;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.SafetensorsFile;
import org.fedpeft.tensor.HostTensor;

/**
 * The state of a {@code fedpeft train} run after a step, in one atomically written safetensors file
 * ({@code checkpoint/train-state.safetensors}): the adapter and head tensors ({@code model/}),
 * AdamW's moments and step count ({@code optimizer/}), and as metadata the step, the metrics lines
 * written so far, the partial logging window and, for DP-SGD, the privacy accountant. Restoring it
 * and training on from the next step gives the bit-identical result of an uninterrupted run
 * (DP-SGD: the same batches and the exact privacy accounting, with fresh noise); the file itself is
 * the same too (it holds no wall time).
 *
 * <p>It is written before the evaluation of its step ({@code --eval-every}), so that a DP-SGD run,
 * which also checkpoints every evaluated step, shows no evaluation of a model that a resume would
 * draw again with fresh noise; a resume evaluates the checkpoint's step again unless its line is
 * among {@code metricLines} (checkpoints of older versions, which evaluated first).
 *
 * @param step steps taken
 * @param model every adapter and head tensor
 * @param optimizer AdamW's state ({@link org.fedpeft.train.AdamW#state()})
 * @param metricLines metrics.jsonl up to this step
 * @param window the running sums of the logging window: loss, accuracy, steps
 * @param accountant the DP-SGD accountant's state as JSON, or null without DP
 * @param runRecord the run's train.json as it started (its arguments, data hashes and precision),
 *     which a resume compares with train.json to refuse an edited one; null in checkpoints written
 *     before it was kept
 */
record TrainCheckpoint(
    int step,
    Map<String, HostTensor> model,
    Map<String, HostTensor> optimizer,
    List<String> metricLines,
    double[] window,
    String accountant,
    String runRecord) {

  static final String FILE = "checkpoint/train-state.safetensors";
  private static final String FORMAT = "fedpeft-train-checkpoint-1";

  /** Writes the checkpoint into {@code run} (atomically: the old one or the new one). */
  void save(Path run) throws IOException {
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    model.forEach((k, v) -> tensors.put("model/" + k, v));
    optimizer.forEach((k, v) -> tensors.put("optimizer/" + k, v));
    JsonArray lines = new JsonArray();
    metricLines.forEach(lines::add);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", FORMAT);
    meta.put("step", Integer.toString(step));
    meta.put("metrics", lines.toString());
    meta.put("window_loss", Double.toString(window[0]));
    meta.put("window_accuracy", Double.toString(window[1]));
    meta.put("window_steps", Double.toString(window[2]));
    if (accountant != null) {
      meta.put("accountant", accountant);
    }
    if (runRecord != null) {
      meta.put("run", runRecord);
    }
    Safetensors.writeChecked(run.resolve(FILE), tensors, meta);
  }

  /**
   * The run's train.json as it started, as the checkpoint in {@code run} keeps it; empty if there
   * is no checkpoint or it predates the copy.
   */
  static Optional<String> startRecord(Path run) throws IOException {
    // The metadata only: the tensors are converted once, by load, when the run resumes.
    return open(run).map(f -> f.metadata().get("run"));
  }

  /** The checkpoint in {@code run}, or empty if the run saved none yet. */
  static Optional<TrainCheckpoint> load(Path run) throws IOException {
    Optional<SafetensorsFile> opened = open(run);
    if (opened.isEmpty()) {
      return Optional.empty();
    }
    Path file = run.resolve(FILE);
    SafetensorsFile f = opened.get();
    Map<String, String> meta = f.metadata();
    try {
      Map<String, HostTensor> model = new LinkedHashMap<>();
      Map<String, HostTensor> optimizer = new LinkedHashMap<>();
      for (var e : f.floatTensors().entrySet()) {
        if (e.getKey().startsWith("model/")) {
          model.put(e.getKey().substring("model/".length()), e.getValue());
        } else if (e.getKey().startsWith("optimizer/")) {
          optimizer.put(e.getKey().substring("optimizer/".length()), e.getValue());
        } else {
          throw new UserInputException(file + ": unexpected tensor " + e.getKey());
        }
      }
      List<String> lines = new ArrayList<>();
      // The array strictly (JsonFiles.parse); its lines are the run's own, under the file's
      // checksum, and those of a run started before fedpeft wrote strict JSON may hold NaN.
      for (JsonElement l : JsonFiles.parse(meta.get("metrics")).getAsJsonArray()) {
        lines.add(l.getAsString());
      }
      return Optional.of(
          new TrainCheckpoint(
              Integer.parseInt(meta.get("step")),
              model,
              optimizer,
              lines,
              new double[] {
                Double.parseDouble(meta.get("window_loss")),
                Double.parseDouble(meta.get("window_accuracy")),
                Double.parseDouble(meta.get("window_steps"))
              },
              meta.get("accountant"),
              meta.get("run")));
    } catch (RuntimeException e) {
      if (e instanceof UserInputException) {
        throw e;
      }
      throw new UserInputException(file + ": malformed train checkpoint: " + e, e);
    }
  }

  /**
   * The checkpoint file in {@code run}, read (its checksum verified) and checked to be a train
   * checkpoint, or empty if the run saved none yet.
   */
  private static Optional<SafetensorsFile> open(Path run) throws IOException {
    Path file = run.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    SafetensorsFile f = Safetensors.read(file);
    String format = f.metadata().get("format");
    if (!FORMAT.equals(format)) {
      throw new UserInputException(
          file + ": not a fedpeft train checkpoint (format " + format + ")");
    }
    return Optional.of(f);
  }
}
