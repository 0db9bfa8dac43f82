package org.fedpeft.peft.ravan;

import java.util.List;
import java.util.Map;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.ConfiguredMethod;
import org.fedpeft.peft.InertOption;

/**
 * Registers Fed-SB (Singh et al. 2025, arXiv 2502.15436) as adapter method {@code fed-sb}: one r x
 * r core R between frozen seed-derived B and A, {@code y = W x + B R A x}, R sent and averaged.
 * Averaging R is exact because B and A are the same on every client. It is {@link RavanAdapter}
 * with one head and no scale, so a client's compute budget changes nothing (it does not {@link
 * #usesBudgets}). (The paper initialises B and A from a truncated SVD of a first gradient step;
 * here they are drawn from the run seed as Ravan's are.)
 */
public final class FedSbMethod extends ConfiguredMethod<RavanConfig> {

  /** The registry name. */
  public static final String NAME = "fed-sb";

  /** The method. */
  public FedSbMethod() {
    super(
        NAME,
        "Fed-SB: y = Wx + B R A x, frozen B and A (seed-derived, or read from the factors"
            + " file), trained and averaged r x r core R (Ravan with one head and no scale);"
            + " options rank, init, sigma, targets, dropout, factors",
        RavanConfig.FED_SB_OPTIONS,
        RavanConfig::fedSbFromOptions);
  }

  @Override
  public List<InertOption> inertOptions(Map<String, String> options) {
    RavanConfig c = config(options);
    return RavanConfig.inertOptions(options, c.factorsFile(), c.init().optionValue(), 2);
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
