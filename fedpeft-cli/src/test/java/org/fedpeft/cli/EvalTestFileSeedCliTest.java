package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpeft eval --test FILE} alone: the example count's wording, and what {@code --seed}
 * changes when nothing is split.
 */
class EvalTestFileSeedCliTest {

  @TempDir static Path dir;
  static Path model;
  static Path adapter;

  @BeforeAll
  static void setUp() throws Exception {
    CliRun.TinyRun run = CliRun.tinyTrainedAdapter(dir, "--seed", "7");
    model = run.model();
    adapter = run.adapter();
  }

  private static CliRun.Result eval(Path test, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of("eval", adapter.toString(), "-m", model.toString(), "--test", test.toString()));
    a.addAll(List.of(more));
    return CliRun.run(a.toArray(new String[0]));
  }

  /** QA, 3 December: a test file of one example was reported as "1 examples". */
  @Test
  void oneExampleIsSingular() throws Exception {
    Path one =
        CliRun.jsonl(dir.resolve("one.jsonl"), List.<String[]>of(new String[] {"a cat", "animal"}));
    CliRun.Result r = eval(one);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains(", 1 example of " + one + ")"), r.out());
    Path two =
        CliRun.jsonl(
            dir.resolve("two.jsonl"),
            List.of(new String[] {"a cat", "animal"}, new String[] {"a pie", "food"}));
    r = eval(two);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains(", 2 examples of " + two + ")"), r.out());
  }

  /**
   * QA, 3 December: with --test alone, another --seed than the training run's warned as if it
   * changed a split, though nothing is split: it only picks the --max-eval subset of the file. No
   * warning when the whole file is evaluated (the seed changes nothing); with a cap, the warning
   * says what the seed picks.
   */
  @Test
  void anotherSeedWarnsOnlyWhenItPicksTheCappedSubset() throws Exception {
    List<String[]> rows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      rows.add(new String[] {"a wild animal " + i, "animal"});
      rows.add(new String[] {"a sweet food " + i, "food"});
    }
    Path test = CliRun.jsonl(dir.resolve("held-out.jsonl"), rows);
    CliRun.Result whole = eval(test, "--seed", "8");
    assertEquals(0, whole.code(), whole.err());
    assertFalse(whole.err().contains("--seed"), whole.err());
    assertTrue(whole.out().contains(", 12 examples of " + test + ")"), whole.out());

    CliRun.Result capped = eval(test, "--seed", "8", "--max-eval", "4");
    assertEquals(0, capped.code(), capped.err());
    assertTrue(
        capped
            .err()
            .contains(
                "warning: --seed 8 differs from the seed the adapter was trained with (7): with"
                    + " --test alone it only picks which 4 of the 12 examples of "
                    + test
                    + " are evaluated (--max-eval)"),
        capped.err());
    assertTrue(capped.out().contains(", 4 examples of " + test + ")"), capped.out());

    CliRun.Result sameSeed = eval(test, "--seed", "7", "--max-eval", "4");
    assertEquals(0, sameSeed.code(), sameSeed.err());
    assertFalse(sameSeed.err().contains("warning"), sameSeed.err());
  }
}
