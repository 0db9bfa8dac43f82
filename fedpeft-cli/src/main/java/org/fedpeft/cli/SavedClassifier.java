package org.fedpeft.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.heads.HeadLayout;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.FrozenBase;

/**
 * The classifier an adapter folder holds, loaded onto its model: the frozen base ({@link
 * AdapterModelOption#loadFor}), the saved adapter ({@link AdapterFiles#instantiate}: LoRA and its
 * variants, Ravan, FedBE and top blocks, soft embeddings, a FedDPA client's global and local
 * adapters with their instance weighting, ...) and the saved head. {@code eval} scores it and
 * {@code predict} labels texts with it, so both compute the same logits.
 */
final class SavedClassifier implements AutoCloseable {

  private final FrozenBase base;
  private final Adapter adapter;
  private final ClassificationHead head;
  private final ClassifierModel model;

  private SavedClassifier(FrozenBase base, Adapter adapter, ClassificationHead head) {
    this.base = base;
    this.adapter = adapter;
    this.head = head;
    this.model = new ClassifierModel(base.encoder(), adapter, head);
  }

  /**
   * Loads the adapter {@code saved} of folder {@code adapterDir} and its head of {@code layout}
   * onto the model {@code model} chooses for it (its notes printed on {@code err}); an adapter or
   * head that does not fit the model is refused by {@link AdapterModelOption#misfit}. The caller
   * has checked the tensors with {@link #requireFinite}.
   *
   * @throws UserInputException naming the folder, file or tensor at fault
   * @throws IOException if the model cannot be read
   */
  static SavedClassifier open(
      Path adapterDir,
      AdapterFiles.Saved saved,
      HeadLayout layout,
      AdapterModelOption model,
      PrintWriter err)
      throws IOException {
    FrozenBase base = new FrozenBase(model.loadFor(adapterDir, saved, err));
    Adapter adapter = null;
    ClassificationHead head = null;
    try {
      adapter = adapter(adapterDir, saved, base.encoder(), model);
      head = head(adapterDir, saved, base, layout, model);
      return new SavedClassifier(base, adapter, head);
    } catch (RuntimeException | Error e) {
      if (head != null) {
        head.close();
      }
      if (adapter != null) {
        adapter.close();
      }
      base.close();
      throw e;
    }
  }

  /**
   * The adapter {@code saved} of folder {@code adapterDir} on {@code encoder} ({@link
   * AdapterFiles#instantiate}); one that does not fit the model is refused by {@link
   * AdapterModelOption#misfit}. Also {@code embed --adapter}'s and {@code retrieve --adapter}'s.
   *
   * @throws UserInputException naming the folder and the model when the adapter does not fit it
   */
  static Adapter adapter(
      Path adapterDir, AdapterFiles.Saved saved, BertEncoder encoder, AdapterModelOption model) {
    try {
      return AdapterFiles.instantiate(adapterDir, saved, encoder);
    } catch (IllegalArgumentException e) {
      throw model.misfit(adapterDir, saved, e);
    }
  }

  /**
   * The head of {@code layout} on {@code base}, holding {@code saved}'s head tensors; one that does
   * not fit the model is refused by {@link AdapterModelOption#misfit} (the head closed again). Also
   * {@code retrieve}'s classifier-as-retriever head.
   *
   * @throws UserInputException naming the folder and the model when the head does not fit it
   */
  static ClassificationHead head(
      Path adapterDir,
      AdapterFiles.Saved saved,
      FrozenBase base,
      HeadLayout layout,
      AdapterModelOption model) {
    ClassificationHead head =
        new ClassificationHead(base.root(), base.encoder().config().hiddenSize(), layout, 0);
    try {
      head.loadState(saved.headTensors());
      return head;
    } catch (IllegalArgumentException e) {
      head.close();
      throw model.misfit(adapterDir, saved, e);
    } catch (RuntimeException | Error e) {
      head.close();
      throw e;
    }
  }

  /** The frozen base: its tokenizer counts the texts it truncates. */
  FrozenBase base() {
    return base;
  }

  /** Encoder, adapter and head. */
  ClassifierModel model() {
    return model;
  }

  /**
   * Refuses an adapter or head tensor of {@code saved}, the adapter folder {@code adapterDir}, that
   * holds NaN or an infinity, naming the file and the tensor.
   *
   * @throws UserInputException naming the file, the tensor and the flat index
   */
  static void requireFinite(Path adapterDir, AdapterFiles.Saved saved) {
    requireFinite(adapterDir.resolve("adapter_model.safetensors"), saved.adapterTensors());
    requireFinite(adapterDir.resolve(AdapterFiles.HEAD_FILE), saved.headTensors());
  }

  private static void requireFinite(Path file, Map<String, HostTensor> tensors) {
    for (var e : tensors.entrySet()) {
      float[] d = e.getValue().data();
      for (int i = 0; i < d.length; i++) {
        if (!Float.isFinite(d[i])) {
          throw new UserInputException(
              file + ": tensor " + e.getKey() + " holds " + d[i] + " at flat index " + i);
        }
      }
    }
  }

  @Override
  public void close() {
    head.close();
    if (adapter != null) {
      adapter.close();
    }
    base.close();
  }
}
