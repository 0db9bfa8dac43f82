package org.fedpeft.peft.ravan;

import java.util.List;
import java.util.Map;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.ConfiguredMethod;
import org.fedpeft.peft.InertOption;

/** Registers Ravan as adapter method {@code ravan}. */
public final class RavanMethod extends ConfiguredMethod<RavanConfig> {

  /** The registry name. */
  public static final String NAME = "ravan";

  /** The method. */
  public RavanMethod() {
    super(
        NAME,
        "Ravan: y = Wx + sum_i s_i B_i H_i A_i x, frozen B_i and A_i (seed-derived, or read"
            + " from the factors file), trained cores H_i (sent) and scales s_i (reset each round),"
            + " heads chosen by budget; options heads, rank, init, sigma, targets, dropout,"
            + " factors, head_selection",
        RavanConfig.OPTIONS,
        RavanConfig::fromOptions);
  }

  /**
   * A client trains round(budget * heads) of the heads (at least 1), so with more than one head;
   * with one it trains that head at any budget.
   */
  @Override
  public boolean usesBudgets(Map<String, String> options) {
    return config(options).heads() > 1;
  }

  /**
   * {@code head_selection = gradient} with more than one head: the heads a client trains, and so
   * the cores it sends, follow the gradient norms of one mini-batch of its data, computed without
   * noise.
   */
  @Override
  public List<String> probesDataOutsideTraining(Map<String, String> options) {
    RavanConfig c = config(options);
    return c.heads() > 1 && c.headSelection() == RavanConfig.HeadSelection.GRADIENT
        ? List.of("head_selection")
        : List.of();
  }

  @Override
  public List<InertOption> inertOptions(Map<String, String> options) {
    RavanConfig c = config(options);
    return RavanConfig.inertOptions(options, c.factorsFile(), c.init().optionValue(), c.heads());
  }

  /**
   * Also {@code head_selection} with more than one head but no {@code client.budgets}: every client
   * then has budget 1 and trains every head, so no head is selected (nor scored, nor probed).
   */
  @Override
  public List<InertOption> inertOptions(Map<String, String> options, Federation federation) {
    List<InertOption> inert = new java.util.ArrayList<>(inertOptions(options));
    int heads = config(options).heads();
    if (options.containsKey("head_selection") && heads > 1 && !federation.budgets()) {
      inert.add(
          new InertOption(
              "head_selection",
              "client.budgets",
              "",
              "head_selection picks the heads a client with a budget below 1 trains, and without"
                  + " client.budgets every client has budget 1 and trains all "
                  + heads
                  + " heads, so none is selected (fractions below 1 select too)",
              List.of("uniform", "bell", "skewed")));
    }
    return inert;
  }

  /** Reads the factors file, if the options name one ({@link RavanAdapter#checkFactorsFile}). */
  @Override
  protected void checkFiles(RavanConfig config) {
    RavanAdapter.checkFactorsFile(config);
  }

  @Override
  protected Adapter newAdapter(RavanConfig config, BertEncoder encoder, long seed) {
    return new RavanAdapter(config, encoder, seed);
  }
}
