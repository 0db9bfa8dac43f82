package org.fedpeft.peft.expansion;

import java.util.List;
import java.util.Map;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.ConfiguredMethod;
import org.fedpeft.peft.InertOption;

/** Registers FedBE block expansion as adapter method {@code fedbe}. */
public final class ExpansionMethod extends ConfiguredMethod<ExpansionConfig> {

  /** The registry name. */
  public static final String NAME = "fedbe";

  /** The method. */
  public ExpansionMethod() {
    super(
        NAME,
        "FedBE: m new pre-LN transformer blocks between the frozen base blocks (identity at"
            + " init), each client training the blocks the server assigns; options blocks,"
            + " positions, allocation, coverage_decay, depth_weight",
        ExpansionConfig.OPTIONS,
        ExpansionConfig::fromOptions);
  }

  /**
   * {@code depth_weight} with an allocation other than coverage, which scores no block. ({@code
   * coverage_decay} still changes the coverage that fedbe records as metrics, so it is not.)
   */
  @Override
  public List<InertOption> inertOptions(Map<String, String> options) {
    ExpansionConfig c = config(options);
    if (options.containsKey("depth_weight") && !c.allocation().equals("coverage")) {
      return List.of(
          new InertOption(
              "depth_weight",
              "allocation",
              c.allocation(),
              "depth_weight weighs the coverage allocation's preference for deeper blocks, and "
                  + c.allocation()
                  + " allocation scores no block",
              List.of("coverage")));
    }
    return List.of();
  }

  /**
   * Also {@code allocation}, {@code coverage_decay} and {@code depth_weight} (the options the
   * schema marks federated-only: they tune FedBE's allocation of blocks) under a {@code
   * server.strategy} other than {@code fedbe}, the only strategy that allocates blocks: under any
   * other every client trains every block, and nothing reads them.
   */
  @Override
  public List<InertOption> inertOptions(Map<String, String> options, Federation federation) {
    List<InertOption> inert = new java.util.ArrayList<>();
    if (!federation.strategy().equals(FedBeStrategy.NAME)) {
      for (String o : ExpansionConfig.OPTIONS.federatedOnly().keySet()) {
        if (options.containsKey(o)) {
          inert.add(
              new InertOption(
                  o,
                  "server.strategy",
                  federation.strategy(),
                  o
                      + " tunes the allocation of blocks to the clients of a round, which only"
                      + " server.strategy = \"fedbe\" makes: under "
                      + federation.strategy()
                      + " every client trains every block",
                  List.of(FedBeStrategy.NAME)));
        }
      }
    }
    inert.addAll(inertOptions(options));
    return inert;
  }

  /** Creates the adapter; the seed is not used, the new blocks are copies and zeros. */
  @Override
  protected Adapter newAdapter(ExpansionConfig config, BertEncoder encoder, long seed) {
    return new ExpansionAdapter(config, encoder);
  }
}
