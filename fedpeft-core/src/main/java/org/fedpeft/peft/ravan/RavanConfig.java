package org.fedpeft.peft.ravan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.peft.TargetModules;

/**
 * Configuration of a Ravan adapter: {@code y = W x + sum_i s_i B_i H_i A_i dropout(x)} on each
 * target module, with h heads of rank r.
 *
 * @param method the registry name the options belong to: {@code ravan}, or {@code fed-sb} (one
 *     head, no scale)
 * @param heads h, at least 1
 * @param rank r of each head, at least 1
 * @param init how the frozen B_i and A_i are drawn
 * @param sigma the standard deviation of {@link Init#NORMAL}; 0 means 1/sqrt(d_out) for B and
 *     1/sqrt(d_in) for A (every column of B and row of A then has unit norm in expectation, as
 *     under {@link Init#GRAM_SCHMIDT})
 * @param targetModules module name patterns (see {@link org.fedpeft.peft.TargetModules})
 * @param dropout dropout rate on the adapter's input, in [0, 1)
 * @param headSelection how a client with a budget below 1 picks the heads it trains
 * @param scales whether the per-head scales s_i exist (false for Fed-SB)
 * @param factorsFile a safetensors file holding every target module's frozen factors ({@code
 *     <module>.ravan_A}, h r x d_in, and {@code <module>.ravan_B}, d_out x h r), which then replace
 *     the seed-drawn ones of {@code init}; empty for none. Every machine of a run reads the same
 *     file, so the factors are still identical everywhere and never travel.
 */
public record RavanConfig(
    String method,
    int heads,
    int rank,
    Init init,
    double sigma,
    List<String> targetModules,
    float dropout,
    HeadSelection headSelection,
    boolean scales,
    String factorsFile) {

  /** How B_i and A_i are drawn from the seed. */
  public enum Init {
    /**
     * One normal d_out x (h r) matrix with orthonormalised columns, cut into the h blocks B_i; one
     * normal (h r) x d_in matrix with orthonormalised rows, cut into the A_i: the heads span
     * mutually orthogonal subspaces. Needs h r at most d_out and d_in.
     */
    GRAM_SCHMIDT,
    /** Independent normal entries with standard deviation {@code sigma}. */
    NORMAL,
    /**
     * Every head uses the same B and A (one head's orthonormal factors): the ablation in which
     * heads differ only in their cores.
     */
    SHARED;

    /** The option value, e.g. {@code gram-schmidt}. */
    public String optionValue() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Init parse(String s) {
      for (Init i : values()) {
        if (i.optionValue().equals(s)) {
          return i;
        }
      }
      throw new org.fedpeft.config.OptionException(
          RavanMethod.NAME, "init", " = " + s + " is invalid: gram-schmidt, normal or shared");
    }
  }

  /** How a client picks round(budget * h) heads (ties and {@link #RANDOM} by the round's seed). */
  public enum HeadSelection {
    /** Uniformly at random. */
    RANDOM,
    /** The largest Frobenius norms of s_i H_i, summed in square over the target modules. */
    WEIGHT,
    /**
     * The largest gradient norms of H_i on one mini-batch of the client's data before training,
     * summed in square over the target modules.
     */
    GRADIENT;

    /** The option value, e.g. {@code gradient}. */
    public String optionValue() {
      return name().toLowerCase(Locale.ROOT);
    }

    static HeadSelection parse(String s) {
      for (HeadSelection h : values()) {
        if (h.optionValue().equals(s)) {
          return h;
        }
      }
      throw new org.fedpeft.config.OptionException(
          RavanMethod.NAME,
          "head_selection",
          " = " + s + " is invalid: random, weight or gradient");
    }
  }

  private static ConfigSchema common(ConfigSchema s, int defaultRank, boolean heads) {
    return s.key(
            "rank",
            Type.INT,
            defaultRank,
            (heads ? "r, the size of each r x r core" : "r, the size of the r x r core")
                + "; at most min(out, in) of every target module (384 on the bundled MiniLM)"
                + (heads ? ", and heads * rank at most that under init = gram-schmidt" : "")
                + ", checked when the adapter is made on the model",
            v -> (int) v >= 1,
            ">= 1")
        .key(
            "init",
            Type.STRING,
            "gram-schmidt",
            "frozen factors B and A: gram-schmidt (QR of one random matrix spanning all heads:"
                + " orthonormal columns of the stacked B, orthonormal rows of the stacked A),"
                + " normal (entries N(0, sigma^2)) or shared (every head the same B and A)",
            v -> List.of("gram-schmidt", "normal", "shared").contains(v),
            "gram-schmidt, normal or shared")
        .key(
            "sigma",
            Type.DOUBLE,
            0.0,
            "standard deviation of init = normal; 0 means 1/sqrt(d_out) for B, 1/sqrt(d_in) for A",
            v -> (double) v >= 0,
            ">= 0")
        .key(
            "targets",
            Type.STRING_LIST,
            List.of("query", "value"),
            "linear modules to adapt, by name pattern, as for LoRA: query, key, value,"
                + " attention.output, ffn.in, ffn.out, all-linear, a module name suffix, or a"
                + " regular expression matching full names",
            v -> TargetModules.requireKnown((List<?>) v),
            "at least one module name, alias or pattern that matches a linear module")
        .key(
            "dropout",
            Type.DOUBLE,
            0.0,
            "dropout rate on the adapter's input (training only)",
            v -> (double) v >= 0 && (float) (double) v < 1,
            "in [0, 1) as a 32-bit float")
        .key(
            "factors",
            Type.STRING,
            "",
            "a safetensors file with every target module's frozen factors (<module>.ravan_A,"
                + " heads * rank x d_in; <module>.ravan_B, d_out x heads * rank), used instead of"
                + " init, for example the top singular vectors of a gradient"
                + " (fedpeft-bench GradientFactors); every machine of the run needs the same file"
                + " at the same path (a run records it made absolute, and a server sends that"
                + " path to its clients); empty: none",
            v -> true,
            "a path")
        .path("factors");
  }

  /** The options of method {@code ravan}. */
  public static final ConfigSchema OPTIONS =
      common(
              new ConfigSchema()
                  .key("heads", Type.INT, 4, "h, the number of heads", v -> (int) v >= 1, ">= 1"),
              8,
              true)
          .key(
              "head_selection",
              Type.STRING,
              "random",
              "which round(budget * heads) heads a client trains: random, weight (largest"
                  + " Frobenius norm of s_i H_i) or gradient (largest gradient norm of H_i on one"
                  + " mini-batch); the budget is the per-client config key budget, 1 if absent",
              v -> List.of("random", "weight", "gradient").contains(v),
              "random, weight or gradient")
          .federatedOnly(
              "head_selection",
              "it picks the heads a client trains when its budget is below 1, and train has no"
                  + " client budgets: every head is trained");

  /** The options of method {@code fed-sb}: Ravan's with one head and no scale. */
  public static final ConfigSchema FED_SB_OPTIONS = common(new ConfigSchema(), 8, false);

  /** Validates every field, naming the one that is wrong. */
  public RavanConfig {
    if (heads < 1) {
      throw new IllegalArgumentException(method + ": heads must be at least 1, got " + heads);
    }
    if (rank < 1) {
      throw new IllegalArgumentException(method + ": rank must be at least 1, got " + rank);
    }
    if (!(sigma >= 0) || !Double.isFinite(sigma)) {
      throw new IllegalArgumentException(method + ": sigma must be >= 0, got " + sigma);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException(method + ": dropout must be in [0, 1), got " + dropout);
    }
    if (targetModules == null || targetModules.isEmpty()) {
      throw new IllegalArgumentException(method + ": targets must name at least one module");
    }
    targetModules = List.copyOf(targetModules);
    factorsFile = factorsFile == null ? "" : factorsFile;
  }

  /**
   * Reads the options of method {@code ravan} ({@link #OPTIONS}); missing ones take its defaults.
   *
   * @throws IllegalArgumentException naming an unknown option or a bad value
   */
  public static RavanConfig fromOptions(Map<String, String> options) {
    ConfigValues v = OPTIONS.readOptions(options, RavanMethod.NAME);
    return new RavanConfig(
        RavanMethod.NAME,
        v.getInt("heads"),
        v.getInt("rank"),
        Init.parse(v.getString("init")),
        v.getDouble("sigma"),
        v.getStringList("targets"),
        (float) v.getDouble("dropout"),
        HeadSelection.parse(v.getString("head_selection")),
        true,
        v.getString("factors"));
  }

  /**
   * Reads the options of method {@code fed-sb} ({@link #FED_SB_OPTIONS}): one head, no scale.
   *
   * @throws IllegalArgumentException naming an unknown option or a bad value
   */
  public static RavanConfig fedSbFromOptions(Map<String, String> options) {
    ConfigValues v = FED_SB_OPTIONS.readOptions(options, FedSbMethod.NAME);
    return new RavanConfig(
        FedSbMethod.NAME,
        1,
        v.getInt("rank"),
        Init.parse(v.getString("init")),
        v.getDouble("sigma"),
        v.getStringList("targets"),
        (float) v.getDouble("dropout"),
        HeadSelection.RANDOM,
        false,
        v.getString("factors"));
  }

  /** The options that read back to this config with its method's reader. */
  public Map<String, String> toOptions() {
    Map<String, String> m = new LinkedHashMap<>();
    if (method.equals(RavanMethod.NAME)) {
      m.put("heads", Integer.toString(heads));
    }
    m.put("rank", Integer.toString(rank));
    m.put("init", init.optionValue());
    m.put("sigma", Double.toString(sigma));
    m.put("targets", String.join("+", targetModules));
    m.put("dropout", Float.toString(dropout));
    if (method.equals(RavanMethod.NAME)) {
      m.put("head_selection", headSelection.optionValue());
    }
    if (!factorsFile.isEmpty()) {
      m.put("factors", factorsFile);
    }
    return m;
  }

  /**
   * The number of heads a client with compute budget {@code budget} trains: round(budget * h), at
   * least 1.
   *
   * @throws IllegalArgumentException if the budget is not in (0, 1]
   */
  public int headsForBudget(double budget) {
    if (!(budget > 0 && budget <= 1)) {
      throw new IllegalArgumentException(
          method + ": the client's budget must be in (0, 1], got " + budget);
    }
    return Math.max(1, Math.min(heads, (int) Math.round(budget * heads)));
  }

  /**
   * Budget matching with LoRA (methods.md section 1): the Ravan rank r whose h heads upload as many
   * parameters per round as LoRA of rank {@code loraRank} on a d_out x d_in module, from h r^2 =
   * r_L (d_in + d_out), rounded down (so Ravan never uploads more).
   */
  public static int matchingRank(int heads, int loraRank, long dIn, long dOut) {
    if (heads < 1 || loraRank < 1 || dIn < 1 || dOut < 1) {
      throw new IllegalArgumentException(
          "matchingRank: heads, LoRA rank and dimensions must be positive");
    }
    double target = (double) loraRank * (dIn + dOut) / heads;
    int r = (int) Math.floor(Math.sqrt(target));
    while ((long) (r + 1) * (r + 1) <= target) {
      r++;
    }
    while ((long) r * r > target) {
      r--;
    }
    return Math.max(1, r);
  }

  /**
   * The options set that change nothing ({@link org.fedpeft.peft.AdapterMethod#inertOptions}):
   * {@code init} and {@code sigma} with a {@code factors} file (which replaces the drawn factors),
   * {@code sigma} with an init other than normal, and (with {@code heads}) {@code head_selection}
   * with one head, which every client trains at any budget.
   */
  static List<org.fedpeft.peft.InertOption> inertOptions(
      Map<String, String> options, String factors, String init, int heads) {
    List<org.fedpeft.peft.InertOption> inert = new java.util.ArrayList<>();
    if (!factors.isEmpty()) {
      for (String o : List.of("init", "sigma")) {
        if (options.containsKey(o)) {
          inert.add(
              new org.fedpeft.peft.InertOption(
                  o,
                  "factors",
                  factors,
                  "the frozen factors are read from that file, not drawn, so " + o + " is unused",
                  List.of("")));
        }
      }
    } else if (options.containsKey("sigma") && !init.equals("normal")) {
      inert.add(
          new org.fedpeft.peft.InertOption(
              "sigma",
              "init",
              init,
              "sigma is the standard deviation of init = normal's entries; " + init + " draws none",
              List.of("normal")));
    }
    if (options.containsKey("head_selection") && heads == 1) {
      inert.add(
          new org.fedpeft.peft.InertOption(
              "head_selection",
              "heads",
              "1",
              "with one head every client trains it at any budget, so no head is selected",
              List.of(">= 2")));
    }
    return inert;
  }
}
