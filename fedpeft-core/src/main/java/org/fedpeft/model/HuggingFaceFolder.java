package org.fedpeft.model;

import java.io.IOException;
import java.nio.file.Path;

/** Loads BERT-family models from Hugging Face model folders. */
final class HuggingFaceFolder {
  private HuggingFaceFolder() {}

  static PretrainedModel load(Path dir) throws IOException {
    throw new IOException(dir + ": Hugging Face folders are not supported yet");
  }
}
