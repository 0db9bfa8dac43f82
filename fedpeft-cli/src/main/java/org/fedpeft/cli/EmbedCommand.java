package org.fedpeft.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedpeft.engine.Engines;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedpeft embed}: sentence embeddings as JSON arrays. */
@Command(
    name = "embed",
    mixinStandardHelpOptions = true,
    description = {
      "Prints one JSON array per text: its sentence embedding (mean pooling over the attention"
          + " mask, L2-normalised, inputs truncated at the model's maximum length, 256 tokens for"
          + " the bundled model; a note on standard error says how many texts were).",
      "Texts come from the arguments, or one per line on standard input when there are none,"
          + " read as they come: each chunk of "
          + EmbedCommand.CHUNK
          + " lines is embedded and printed before the next is read, and on a terminal each line"
          + " typed is answered at once. A blank line, or"
          + " one that is not UTF-8, stops embed with exit 2, naming the line, after the texts"
          + " before it were printed. No text at all prints nothing and says so on standard"
          + " error (exit 0).",
      "With --adapter, the embeddings of the adapted encoder (the saved adapter active: LoRA's"
          + " deltas, FedBE's new blocks, the fine-tuned top blocks, ...); the head is not used.",
      ProgressBar.DELAYED_HELP
    })
public final class EmbedCommand implements Callable<Integer> {

  /** Texts embedded and printed at a time (of standard input, the ones held at once). */
  static final int CHUNK = 256;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin AdapterModelOption model;

  @Mixin BatchSizeOption batch;

  @Option(
      names = "--adapter",
      paramLabel = "DIR",
      description =
          "A saved adapter folder (from train or simulate, or a Hugging Face PEFT LoRA"
              + " folder) whose adapter is active while"
              + " embedding; the model must be the one it was trained on (without --model, the"
              + " folder the adapter records it was read from).")
  Path adapterDir;

  @Parameters(arity = "0..*", paramLabel = "TEXT", description = "Texts to embed.")
  List<String> texts = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    int batchSize = batch.batchSize();
    model.precisionSetting();
    AdapterFiles.Saved saved = null;
    if (adapterDir != null) {
      saved = AdapterFolder.read(adapterDir);
    }
    GivenTexts given =
        GivenTexts.refusingBlankLines(
            texts,
            "embed writes one embedding per text, and a blank one has no meaning",
            System.in);
    List<String> first = given.next(CHUNK);
    PrintWriter out = spec.commandLine().getOut();
    if (first.isEmpty()) {
      // Nothing in, nothing out (as in a pipeline), but said, so that it is not taken for a hang.
      spec.commandLine().getErr().println(given.noneGiven("embed", "texts"));
      return 0;
    }
    PretrainedModel pm = model.loadFor(adapterDir, saved, spec.commandLine().getErr());
    try (NDManager root = Engines.pytorch().newBaseManager();
        BertEncoder encoder = new BertEncoder(pm.weights(), root, pm.precision().precision());
        TextTokenizer tok = pm.newTokenizer();
        Adapter adapter =
            saved == null ? null : SavedClassifier.adapter(adapterDir, saved, encoder, model)) {
      SentenceEmbedder embedder =
          adapter == null
              ? new SentenceEmbedder(encoder, tok, EncoderHooks.NONE)
              : new SentenceEmbedder(encoder, tok, adapter, adapter::prepareBatch);
      ProgressBar bar = ProgressBar.delayed(spec.commandLine().getErr(), "embed", given.total());
      int start = 0;
      for (List<String> chunk = first; !chunk.isEmpty(); chunk = given.next(CHUNK)) {
        float[][] embeddings = embedder.embed(chunk, batchSize, bar.texts(start, "texts"));
        bar.clearLine();
        for (int k = 0; k < embeddings.length; k++) {
          float[] e = embeddings[k];
          for (float v : e) {
            if (!Float.isFinite(v)) {
              throw new IllegalStateException(
                  "the embedding of text "
                      + (start + k + 1)
                      + " holds "
                      + v
                      + " (not valid JSON, not printed); the model's weights are finite, so"
                      + " this is a numerical failure");
            }
          }
          StringBuilder sb = new StringBuilder("[");
          for (int j = 0; j < e.length; j++) {
            if (j > 0) {
              sb.append(',');
            }
            sb.append(e[j]);
          }
          out.println(sb.append(']'));
        }
        out.flush();
        start += chunk.size();
      }
      bar.finish(start, "texts");
      // The same note train and simulate print for their data, once all texts are embedded.
      String truncated = tok.truncationNote("to embed");
      if (truncated != null) {
        spec.commandLine().getErr().println(truncated);
      }
    }
    return 0;
  }
}
