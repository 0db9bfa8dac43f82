package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedpeft.privacy.ClientLevelDp;
import org.fedpeft.privacy.RdpAccountant;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PrivacyCommandTest {

  private static final Pattern FIRST_NUMBER = Pattern.compile("[-+]?(\\d+\\.?\\d*|Infinity)");

  private record Result(int code, String out, String err) {
    double firstNumber() {
      Matcher m = FIRST_NUMBER.matcher(out);
      assertTrue(m.find(), "no number in: " + out);
      return Double.parseDouble(m.group());
    }

    String[] errLines() {
      return err.strip().split("\\R");
    }
  }

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new PrivacyCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void epsilonPrintsTheSpecValueFirst() {
    Result r =
        run(
            "epsilon",
            "--sample-rate",
            "0.04",
            "--noise-multiplier",
            "1.5",
            "--steps",
            "2250",
            "--delta",
            "1e-5");
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
    assertTrue(r.out().startsWith("epsilon: 7.329111"), r.out());
    assertTrue(r.out().contains("(order 3.9)"), r.out());
    assertEquals(7.32911117143, r.firstNumber(), 7.33e-6);
    assertEquals(1, r.out().strip().split("\\R").length);
  }

  @Test
  void epsilonIsRoundedUpNeverDown() {
    Result r =
        run(
            "epsilon",
            "--sample-rate=0.0064",
            "--noise-multiplier=1.0",
            "--steps=782",
            "--delta=1e-6");
    assertEquals(0, r.code(), r.err());
    double exact = RdpAccountant.computeEpsilon(0.0064, 1.0, 782, 1e-6).epsilon();
    assertTrue(r.firstNumber() >= exact, r.out() + " vs " + exact);
    assertTrue(r.firstNumber() - exact < 1e-9, r.out() + " vs " + exact);
  }

  @Test
  void epsilonWithCustomOrdersAndSpecialCases() {
    Result custom =
        run(
            "epsilon",
            "--sample-rate=0.04",
            "--noise-multiplier=1.5",
            "--steps=2250",
            "--delta=1e-5",
            "--orders=2,4,8");
    assertEquals(0, custom.code(), custom.err());
    assertTrue(custom.firstNumber() > 7.3291112, custom.out());

    Result none =
        run("epsilon", "--sample-rate=0", "--noise-multiplier=1", "--steps=10", "--delta=1e-5");
    assertEquals(0, none.code(), none.err());
    assertEquals(0.0, none.firstNumber(), 0);

    Result inf =
        run("epsilon", "--sample-rate=0.1", "--noise-multiplier=0", "--steps=1", "--delta=1e-5");
    assertEquals(0, inf.code(), inf.err());
    assertTrue(inf.out().startsWith("epsilon: Infinity"), inf.out());
  }

  @Test
  void noisePrintsTheSmallestMultiplierFirst() {
    Result r =
        run(
            "noise",
            "--target-epsilon",
            "8",
            "--sample-rate",
            "0.04",
            "--steps",
            "2000",
            "--delta",
            "1e-5");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("noise multiplier: 1.356134"), r.out());
    double sigma = r.firstNumber();
    assertEquals(1.3562, sigma, 1e-4);
    assertTrue(RdpAccountant.computeEpsilon(0.04, sigma, 2000, 1e-5).epsilon() <= 8.0);
  }

  @Test
  void outOfRangeValuesGiveOneLineAndExitTwo() {
    String[][] bad = {
      {"epsilon", "--sample-rate=1.5", "--noise-multiplier=1", "--steps=1", "--delta=1e-5"},
      {"epsilon", "--sample-rate=NaN", "--noise-multiplier=1", "--steps=1", "--delta=1e-5"},
      {"epsilon", "--sample-rate=0.1", "--noise-multiplier=-1", "--steps=1", "--delta=1e-5"},
      {"epsilon", "--sample-rate=0.1", "--noise-multiplier=1", "--steps=-3", "--delta=1e-5"},
      {"epsilon", "--sample-rate=0.1", "--noise-multiplier=1", "--steps=3", "--delta=1"},
      {
        "epsilon",
        "--sample-rate=0.1",
        "--noise-multiplier=1",
        "--steps=3",
        "--delta=0.1",
        "--orders=0.5"
      },
      {"noise", "--target-epsilon=0", "--sample-rate=0.1", "--steps=3", "--delta=1e-5"},
      {"noise", "--target-epsilon=1", "--sample-rate=-0.1", "--steps=3", "--delta=1e-5"},
      {"noise", "--target-epsilon=1", "--sample-rate=0.1", "--steps=3", "--delta=2"},
      {"noise", "--target-epsilon=0.05", "--sample-rate=0.1", "--steps=3", "--delta=1e-5"},
    };
    String[] named = {
      "--sample-rate",
      "--sample-rate",
      "--noise-multiplier",
      "--steps",
      "--delta",
      "order",
      "--target-epsilon",
      "--sample-rate",
      "--delta",
      "unreachable",
    };
    for (int i = 0; i < bad.length; i++) {
      Result r = run(bad[i]);
      String what = String.join(" ", bad[i]);
      assertEquals(2, r.code(), what);
      assertEquals("", r.out(), what);
      assertEquals(1, r.errLines().length, what + " -> " + r.err());
      assertTrue(r.err().startsWith("privacy " + bad[i][0] + ": "), r.err());
      assertTrue(r.err().contains(named[i]), what + " -> " + r.err());
    }
  }

  /**
   * User audit: "privacy noise --target-epsilon 1e-9 ..." said "targetEpsilon 1.0E-9 is
   * unreachable", a Java parameter's name; it names the options.
   */
  @Test
  void anUnreachableTargetNamesTheOptions() {
    Result r =
        run(
            "noise",
            "--target-epsilon",
            "1e-9",
            "--sample-rate",
            "1",
            "--steps",
            "1000000",
            "--delta",
            "1e-5");
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.errLines().length, r.err());
    assertTrue(
        r.err()
            .startsWith(
                "privacy noise: --target-epsilon 1.0E-9 is unreachable: at --delta 1.0E-5 no"
                    + " noise multiplier gives epsilon below "),
        r.err());
    assertTrue(
        r.err()
            .strip()
            .endsWith(
                " with the default orders (raise --target-epsilon or --delta, or add larger"
                    + " --orders)"),
        r.err());
    assertTrue(!r.err().contains("targetEpsilon"), r.err());
  }

  @Test
  void unparsableOrMissingValuesExitTwoNamingTheOption() {
    Result r =
        run("epsilon", "--sample-rate=abc", "--noise-multiplier=1", "--steps=1", "--delta=1e-5");
    assertEquals(2, r.code());
    assertTrue(r.errLines()[0].contains("--sample-rate"), r.err());
    Result missing = run("epsilon", "--sample-rate=0.1", "--noise-multiplier=1", "--steps=1");
    assertEquals(2, missing.code());
    assertTrue(missing.errLines()[0].contains("--delta"), missing.err());
    Result noSub = run();
    assertEquals(2, noSub.code());
  }

  @Test
  void helpDescribesEveryOption() {
    Result top = run("--help");
    assertEquals(0, top.code());
    assertTrue(top.out().contains("epsilon") && top.out().contains("noise"), top.out());
    Result eps = run("epsilon", "--help");
    assertEquals(0, eps.code());
    for (String o :
        new String[] {"--sample-rate", "--noise-multiplier", "--steps", "--delta", "--orders"}) {
      assertTrue(eps.out().contains(o), o + " in " + eps.out());
    }
    Result noise = run("noise", "--help");
    assertEquals(0, noise.code());
    assertTrue(noise.out().contains("--target-epsilon"), noise.out());
    CommandLine cl = new CommandLine(new PrivacyCommand());
    for (CommandLine sub : cl.getSubcommands().values()) {
      sub.getCommandSpec()
          .options()
          .forEach(
              o ->
                  assertTrue(
                      o.description().length > 0 && !o.description()[0].isBlank(),
                      sub.getCommandName() + " " + o.longestName() + " has no description"));
    }
  }

  /**
   * Docs journey, 5 December: {@code privacy epsilon --help} said that for DP-FedAvg Q is the
   * expected clients per round over the population, while {@code simulate} and {@code server}
   * account client-level DP with q = 1 under the default fixed-size sampling; the help now gives
   * the rate each sampling is accounted with, the same as {@link ClientLevelDp.Config#sampleRate}.
   */
  @Test
  void helpGivesTheClientSamplingRateThatARunIsAccountedWith() {
    String eps = run("epsilon", "--help").out().replaceAll("\\s+", " ");
    assertTrue(eps.contains("Q = 1 with the default fixed-size sampling"), eps);
    assertTrue(eps.contains("Q = clients_per_round / clients with client_sampling = poisson"), eps);
    assertFalse(eps.contains("Q = expected clients per round / population"), eps);
    ClientLevelDp.Config fixed =
        new ClientLevelDp.Config(1, 1, 4, 20, 1e-5, 0, false, 0.5, 0.2, 1, false);
    ClientLevelDp.Config poisson =
        new ClientLevelDp.Config(1, 1, 4, 20, 1e-5, 0, false, 0.5, 0.2, 1, true);
    assertEquals(1.0, fixed.sampleRate());
    assertEquals(4.0 / 20, poisson.sampleRate());
  }
}
