package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QA of the methods, 4 December: Ravan's sizes checked on the model said "ravan: heads * rank =
 * ..." and "ravan: init = ... needs ...", bare option names, where the other option errors name the
 * option as the user wrote it. They are OptionExceptions on rank now, so train says {@code
 * --adapter-options rank=...} (and simulate {@code adapter.rank = ...}); nothing is left behind.
 */
class RavanSizeOptionNamedCliTest {

  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void tinyModelAndData() throws Exception {
    model = CliRun.tinyModelFolder(tmp.resolve("tiny-model"));
    data = tmp.resolve("train.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      lines.add("{\"text\": \"word " + i + "\", \"label\": \"c" + (i % 3) + "\"}");
    }
    Files.write(data, lines);
  }

  private static CliRun.Result train(Path out, String options) {
    return CliRun.run(
        "train",
        "--model",
        model.toString(),
        "--data",
        data.toString(),
        "--steps",
        "2",
        "--eval-every",
        "0",
        "--adapter",
        "ravan",
        "--adapter-options",
        options,
        "--out",
        out.toString());
  }

  @Test
  void moreOrthonormalDirectionsThanTheModuleHasNameRank() {
    Path out = tmp.resolve("gs");
    CliRun.Result r = train(out, "heads=4,rank=9,targets=query");
    assertEquals(2, r.code(), r.err());
    assertEquals(
        "fedpeft train: --adapter-options rank=9 with heads = 4 is too large for init ="
            + " gram-schmidt: it needs heads * rank = 36 orthonormal directions, but"
            + " encoder.layer.0.attention.self.query is 32 x 32; lower heads or rank, or use init"
            + " = normal",
        r.err().strip().lines().reduce((a, b) -> b).orElse(""));
    assertFalse(Files.exists(out), out + " was left behind");
  }

  @Test
  void headsTimesRankTooLargeForOneArrayNamesRank() {
    Path out = tmp.resolve("big");
    CliRun.Result r = train(out, "init=normal,heads=100000000,rank=32,targets=query");
    assertEquals(2, r.code(), r.err());
    String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
    assertEquals(
        "fedpeft train: --adapter-options rank=32 with heads = 100000000: heads * rank ="
            + " 3200000000 is too large for encoder.layer.0.attention.self.query (32 x 32): its"
            + " frozen factors would hold more than 2147483647 entries each; give heads * rank <= "
            + Integer.MAX_VALUE / 32,
        last);
    assertFalse(Files.exists(out), out + " was left behind");
  }
}
