package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import org.fedpeft.model.ModelFormatException;
import org.junit.jupiter.api.Test;

class MainTest {

  @Test
  void aFileSystemErrorGetsItsPathAndWhatIsWrong() {
    assertEquals(
        "/data/x.jsonl: no such file or folder",
        Main.describe(new NoSuchFileException("/data/x.jsonl")));
    assertTrue(Main.isBadInput(new NoSuchFileException("/data/x.jsonl")));
    assertTrue(Main.isBadInput(new ModelFormatException("m/tokenizer.json: not readable")));
    // QA, 2 December: "x.jsonl: no such file or folder: no such data file" said it twice
    assertEquals(
        "/data/x.jsonl: no such data file",
        Main.describe(
            new UserInputException(
                "/data/x.jsonl: no such data file", new NoSuchFileException("/data/x.jsonl"))));
  }

  /** QA, 2 December: a full disk mid-run printed only "No space left on device". */
  @Test
  void aFullDiskSaysWhatIsKeptAndHowToContinue() {
    IOException full = new IOException("No space left on device");
    assertEquals(
        "No space left on device (a disk is full; what was written before is intact: free some"
            + " space, then continue a simulate, train or server run with its --resume)",
        Main.describe(full));
    assertFalse(Main.isBadInput(full), "not the user's input: exit 1");
  }

  @Test
  void anOptionThatIsAConfigKeyHereSaysHowToSetIt() {
    CliRun.Result r =
        CliRun.run("simulate", "examples/fedit-noun-topic.toml", "--precision", "bf16");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "this command reads model.precision from its config: --set"
                    + " model.precision=VALUE"),
        r.err());
    // An unknown option that is no config key: no hint.
    r = CliRun.run("simulate", "examples/fedit-noun-topic.toml", "--bogus");
    assertEquals(2, r.code(), r.err());
    assertFalse(r.err().contains("--set"), r.err());
  }
}
