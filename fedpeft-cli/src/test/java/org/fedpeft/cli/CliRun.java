package org.fedpeft.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.RandomBert;

/** Runs the command line in-process, as a user would, capturing exit code and output. */
final class CliRun {
  private CliRun() {}

  /** What a command returned and printed. */
  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  /** Writes a tiny random BERT with the bundled tokenizer as a Hugging Face folder. */
  static Path tinyModelFolder(Path dir) throws Exception {
    PretrainedModel bundled = PretrainedModel.bundledMiniLm();
    HuggingFaceFolder.save(
        RandomBert.tiny(bundled.tokenizerJson(), bundled.config().vocabSize(), 7), dir);
    return dir;
  }
}
