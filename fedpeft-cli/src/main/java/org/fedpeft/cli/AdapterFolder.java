package org.fedpeft.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedpeft.io.PeftAdapterFiles;
import org.fedpeft.peft.AdapterFiles;

/**
 * Reads the adapter folder a user names ({@code eval ADAPTER_DIR}, {@code predict ADAPTER_DIR},
 * {@code embed --adapter}, {@code retrieve --adapter}), with the same messages in each command for
 * a path that is not one.
 */
final class AdapterFolder {
  private AdapterFolder() {}

  /**
   * Refuses a path that is not an adapter folder, saying what it is instead: missing, a file, a run
   * folder (whose adapter is its {@code adapter} subfolder), or a folder without the adapter's
   * configuration file.
   *
   * @throws UserInputException naming {@code dir}
   */
  static void require(Path dir) {
    if (!Files.exists(dir)) {
      throw new UserInputException(dir + ": no such folder");
    }
    if (!Files.isDirectory(dir)) {
      throw new UserInputException(
          dir + ": a file, not an adapter folder (the adapter folder train and simulate write)");
    }
    if (Files.isRegularFile(dir.resolve(AdapterFiles.CONFIG_FILE))
        || Files.isRegularFile(dir.resolve(PeftAdapterFiles.CONFIG_FILE))) {
      return;
    }
    Path inner = dir.resolve("adapter");
    if (Files.isRegularFile(inner.resolve(AdapterFiles.CONFIG_FILE))) {
      throw new UserInputException(dir + ": a run folder; its adapter folder is " + inner);
    }
    throw new UserInputException(
        dir
            + ": not an adapter folder (it has neither "
            + AdapterFiles.CONFIG_FILE
            + " nor "
            + PeftAdapterFiles.CONFIG_FILE
            + ")");
  }

  /**
   * The folder's adapter ({@link #require}, then {@link AdapterFiles#read}); a damaged file is a
   * user error naming it.
   *
   * @throws UserInputException naming the folder or the file
   * @throws IOException if a file cannot be read
   */
  static AdapterFiles.Saved read(Path dir) throws IOException {
    require(dir);
    try {
      return AdapterFiles.read(dir);
    } catch (RuntimeException e) {
      throw new UserInputException(e.getMessage(), e);
    }
  }
}
