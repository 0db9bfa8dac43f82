package org.fedpeft.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.ModelChoice;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.AdapterFiles;
import org.fedpeft.train.FrozenBase;
import picocli.CommandLine.Option;

/**
 * {@code --model} of the commands that load a saved adapter ({@code eval}, {@code predict}, {@code
 * embed}, {@code retrieve}): without it, the model the adapter records it was trained on ({@link
 * #loadFor}); and the notes and errors about the adapter's fit to the model used.
 */
public final class AdapterModelOption extends ModelOption {

  @Option(
      names = {"-m", "--model"},
      paramLabel = "MODEL",
      description =
          MODEL_DESCRIPTION
              + " With a saved adapter, the default is the model it was trained on: the folder"
              + " it records (a plain PEFT folder: its base_model_name_or_path, when that is an"
              + " absolute path), if that still holds the same model.")
  String model;

  /**
   * The model {@link #loadFor} loaded, as {@link #misfit} names it: the folder the adapter records
   * when it took that one, else null ({@code --model} or the default).
   */
  private Path recordedFolder;

  @Override
  String model() {
    return model;
  }

  /**
   * The note {@code eval}, {@code predict}, {@code embed} and {@code retrieve} print when they
   * compute in another precision than the one {@code saved} records it was trained with; null when
   * they agree or the adapter records none (folders written before precision was recorded).
   */
  static String precisionNote(AdapterFiles.Saved saved, Precision used) {
    if (saved == null || saved.precision() == null || saved.precision() == used) {
      return null;
    }
    String trained = saved.precision().label();
    return "note: this adapter was trained with "
        + saved.precision().withArticle()
        + " frozen base (this command computes in "
        + used.label()
        + "); --precision "
        + trained
        + " reproduces the run's figures";
  }

  /**
   * The user error when the adapter or head saved in {@code adapterDir} cannot be loaded onto this
   * command's model (its tensors are of another hidden size or depth, say): names the folder and
   * the model used, and the base model the adapter records when that is another one, then {@code
   * e}'s detail.
   */
  UserInputException misfit(Path adapterDir, AdapterFiles.Saved saved, RuntimeException e) {
    String used =
        recordedFolder != null
            ? recordedFolder.toString()
            : model == null ? PretrainedModel.DEFAULT : model;
    String trained = saved.baseModel();
    boolean another = trained != null && !namesModel(trained, used);
    return new UserInputException(
        adapterDir
            + ": cannot be loaded onto the model "
            + used
            + (another
                ? " (it was trained on the base model \""
                    + trained
                    + "\": give that model with --model)"
                : "")
            + ": "
            + e.getMessage(),
        e);
  }

  /**
   * Whether {@code trained}, the base model an adapter records, names {@code used}, a model folder
   * or the bundled model's name: fedpeft's {@code base_model} is the model's name, its folder's
   * name ({@link PretrainedModel#name}); a plain PEFT folder's {@code base_model_name_or_path} is
   * the folder's path, or the bundled model's Hub id ({@link AdapterFiles#peftBaseModel}).
   */
  static boolean namesModel(String trained, String used) {
    Path usedPath = Path.of(used);
    // A model's name is its folder's name (PretrainedModel.name), as the adapter records it.
    if (trained.equals(HuggingFaceFolder.folderName(usedPath))) {
      return true;
    }
    if (trained.equals(PretrainedModel.HUB_ID)) {
      return used.isBlank() || used.equals(PretrainedModel.DEFAULT);
    }
    return AdapterFiles.localFolder(trained)
        .map(folder -> folder.normalize().equals(usedPath.toAbsolutePath().normalize()))
        .orElse(false);
  }

  /**
   * The note {@code eval}, {@code predict}, {@code embed} and {@code retrieve} print when the model
   * they load is not the one the adapter in {@code adapterDir} trained on (another {@link
   * PretrainedModel#sha256()}, e.g. another fine-tune of the same architecture, which loads without
   * a shape error); null when it is, or the adapter records no digest ({@code trained} null:
   * folders written before it was recorded, PEFT folders).
   *
   * @param trained the digest the adapter records ({@link AdapterFiles#baseModelDigest}), or null
   */
  static String baseModelNote(AdapterFiles.Saved saved, String trained, PretrainedModel used) {
    if (saved == null || trained == null) {
      return null;
    }
    String now = used.sha256();
    if (trained.equals(now)) {
      return null;
    }
    return "warning: this adapter was trained on another base model"
        + (saved.baseModel() == null ? "" : " (\"" + saved.baseModel() + "\")")
        + " than the model "
        + used.name()
        + " used here (weights and tokenizer digest "
        + trained.substring(0, 12)
        + " against "
        + now.substring(0, 12)
        + "): its outputs are not those it was trained for; give the base model it was trained on"
        + " with --model";
  }

  /**
   * The model for the adapter {@code saved} in {@code adapterDir} (null: no adapter), loaded in the
   * {@code --precision} setting; prints on {@code err} what {@code auto} picked ({@link
   * FrozenBase#precisionNote(Precision.Choice)}), {@link #precisionNote} and {@link
   * #baseModelNote}, each if there is one. The model is {@code --model} when given; without it, the
   * folder the adapter records ({@link AdapterFiles#baseModelFolder}) when it still holds the model
   * of the recorded digest (said on {@code err}), else the bundled default when the adapter records
   * no folder (the bundled model, or a folder written before folders were recorded).
   *
   * @throws UserInputException naming the adapter folder, the model it was trained on and {@code
   *     --model} when the recorded folder is gone, does not load or now holds another model; naming
   *     the adapter's configuration file and the field when the recorded folder or digest is not of
   *     its type ({@link AdapterFiles#baseModelFolder}, {@link AdapterFiles#baseModelDigest})
   */
  public PretrainedModel loadFor(
      Path adapterDir, AdapterFiles.Saved saved, java.io.PrintWriter err) {
    Path folder = null;
    String digest = null;
    if (saved != null) {
      try {
        digest = AdapterFiles.baseModelDigest(adapterDir, saved).orElse(null);
        if (model == null) {
          folder = AdapterFiles.baseModelFolder(adapterDir, saved).orElse(null);
        }
      } catch (IllegalArgumentException e) {
        throw new UserInputException(e.getMessage(), e);
      }
    }
    PretrainedModel pm =
        folder == null ? load() : loadRecorded(adapterDir, saved, folder, digest, err);
    for (String note :
        new String[] {
          FrozenBase.precisionNote(pm.precision()),
          precisionNote(saved, pm.precision().precision()),
          baseModelNote(saved, digest, pm)
        }) {
      if (note != null) {
        err.println(note);
      }
    }
    return pm;
  }

  /**
   * The model in {@code folder}, which the adapter {@code saved} in {@code adapterDir} records it
   * was trained on, after checking that it still holds the model of {@code digest}, the digest the
   * adapter records ({@link AdapterFiles#baseModelDigest}; null: none recorded, not checked); says
   * on {@code err} which folder it loaded.
   */
  private PretrainedModel loadRecorded(
      Path adapterDir,
      AdapterFiles.Saved saved,
      Path folder,
      String digest,
      java.io.PrintWriter err) {
    String trainedOn =
        adapterDir
            + ": was trained on the model "
            + (saved.baseModel() == null || saved.baseModel().equals(folder.toString())
                ? ""
                : "\"" + saved.baseModel() + "\" ")
            + "in "
            + folder;
    String giveIt = ": give the model it was trained on with --model DIR";
    if (!java.nio.file.Files.isDirectory(folder)) {
      throw new UserInputException(trainedOn + ", which is no longer there" + giveIt);
    }
    PretrainedModel pm;
    try {
      pm = PretrainedModel.load(new ModelChoice(folder.toString(), precisionSetting()));
    } catch (IOException e) {
      throw new UserInputException(
          trainedOn + ", which no longer loads (" + e.getMessage() + ")" + giveIt, e);
    }
    if (digest != null && !digest.equals(pm.sha256())) {
      throw new UserInputException(
          trainedOn
              + ", but that folder now holds another model (weights and tokenizer digest "
              + pm.sha256().substring(0, 12)
              + ", not "
              + digest.substring(0, 12)
              + " as recorded)"
              + giveIt);
    }
    recordedFolder = folder;
    err.println("model: " + folder + " (recorded with the adapter)");
    return pm;
  }
}
