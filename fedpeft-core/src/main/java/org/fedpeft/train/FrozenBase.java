package org.fedpeft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.Example;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;

/**
 * The frozen model of a run, loaded once and shared: the engine, the encoder's weights, the
 * tokenizer. Adapters and heads are created on it per client or per run.
 *
 * <p>The encoder computes in the model's {@link PretrainedModel#precision}. For a setting of {@code
 * auto}, {@link #precisionNote()} says what it picked and why, for the command to print on its
 * standard error. In bfloat16 the encoder holds its linear weights and word-embedding table only in
 * bfloat16 (inside libtorch).
 *
 * <p>The encoder holds every tensor of the model inside libtorch, so {@link #model} drops the
 * weights' values from the Java heap (in float32 the bundled MiniLM's are 90 MB); {@link
 * BertEncoder#frozenValues} gives them. They are freed when the caller does not keep the {@link
 * PretrainedModel} it passed in (as {@link PretrainedModel#load(org.fedpeft.model.ModelChoice)}
 * returns a model of its own).
 */
public final class FrozenBase implements AutoCloseable {

  private final PretrainedModel model;
  private final Engine engine;
  private final NDManager root;
  private final BertEncoder encoder;
  private final TextTokenizer tokenizer;

  public FrozenBase(PretrainedModel model) throws IOException {
    this.engine = Engines.pytorch();
    this.root = engine.newBaseManager();
    try {
      Precision.Choice p = model.precision();
      this.encoder = new BertEncoder(model.weights(), root, p.precision());
      this.model =
          model.without(
              encoder.heldTensorNames(),
              "the encoder holds it inside libtorch (model.precision "
                  + p.setting()
                  + "); BertEncoder.frozenValues gives its values");
      this.tokenizer = model.newTokenizer();
    } catch (IOException | RuntimeException | Error e) {
      // The caller gets no FrozenBase to close: free what the encoder put into libtorch.
      root.close();
      throw e;
    }
  }

  /**
   * What {@code auto} picked and why, as a line for the command's standard error ({@code model
   * precision: bf16 (auto: this CPU reports avx512_bf16)}); null for an explicit setting.
   */
  public String precisionNote() {
    return precisionNote(model.precision());
  }

  /** {@link #precisionNote()} of a model loaded in {@code choice}. */
  public static String precisionNote(Precision.Choice choice) {
    return choice.setting().equals("auto") ? "model precision: " + choice.describe() : null;
  }

  /**
   * The model: its name, tokenizer, precision and configuration; its weights without the tensors
   * the encoder holds (all of them), whose values {@link BertEncoder#frozenValues} gives.
   */
  public PretrainedModel model() {
    return model;
  }

  public Engine engine() {
    return engine;
  }

  /** The manager under which adapters, heads and optimisers are created. */
  public NDManager root() {
    return root;
  }

  public BertEncoder encoder() {
    return encoder;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  /** Tokenizes a dataset with its label indices. */
  public EncodedExamples encode(Dataset data) {
    return EncodedExamples.encode(
        tokenizer, data.examples().stream().map(e -> e.text()).toList(), data.labelIndices());
  }

  /**
   * Tokenizes a dataset for a head of {@link HeadLayout#of(Map) the layout of} {@code taskLabels}:
   * with one task, as {@link #encode(Dataset)}; with several, each example's label is its output in
   * its task's block and its task is recorded.
   *
   * @param taskLabels each task's labels, in head order ({@link
   *     org.fedpeft.data.TaskSplits#taskLabels()})
   * @throws IllegalArgumentException naming the example whose task or label the head lacks
   */
  public EncodedExamples encode(Dataset data, Map<String, List<String>> taskLabels) {
    if (taskLabels.size() <= 1) {
      return encode(data);
    }
    HeadLayout layout = HeadLayout.of(taskLabels);
    List<String> names = new ArrayList<>(taskLabels.keySet());
    int n = data.size();
    int[] labels = new int[n];
    int[] tasks = new int[n];
    for (int i = 0; i < n; i++) {
      Example e = data.example(i);
      int t = e.task() == null ? -1 : names.indexOf(e.task());
      if (t < 0) {
        throw new IllegalArgumentException(
            data.location(i)
                + (e.task() == null
                    ? ": no \"task\" field; the head's tasks are "
                    : ": task \"" + e.task() + "\" is not one of the head's tasks ")
                + names);
      }
      int k = taskLabels.get(names.get(t)).indexOf(e.label());
      if (k < 0) {
        throw new IllegalArgumentException(
            data.location(i) + ": label \"" + e.label() + "\" is not a label of task " + e.task());
      }
      tasks[i] = t;
      labels[i] = layout.offset(t) + k;
    }
    return EncodedExamples.encode(
        tokenizer, data.examples().stream().map(e -> e.text()).toList(), labels, tasks);
  }

  @Override
  public void close() {
    tokenizer.close();
    encoder.close();
    root.close();
  }
}
