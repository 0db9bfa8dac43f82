package org.fedpeft.federation;

import java.util.Map;
import java.util.Optional;
import org.fedpeft.tensor.HostTensor;

/**
 * FedIT (Zhang et al. 2024, "Towards Building the Federated GPT: Federated Instruction Tuning",
 * arXiv 2305.05644): LoRA with B = 0 and A random at init; the server averages A and B separately,
 * {@code A' = mean_c A_c}, {@code B' = mean_c B_c}, like any other tensor (heads included).
 *
 * <p>Note that {@code B' A'} is not {@code mean_c B_c A_c}; {@link FedExLora} corrects that. An
 * update must carry each module's A and B together (otherwise it is rejected), since a factor
 * trained against a partner that is not sent cannot be averaged meaningfully.
 */
public final class FedIt extends AbstractStrategy {

  /** FedIT with the given options. */
  public FedIt(StrategyOptions options) {
    super("fedit", options);
  }

  @Override
  protected void checkInitial(Map<String, HostTensor> initialGlobal) {
    LoraShapes.check(initialGlobal, name());
  }

  @Override
  protected Optional<String> checkUpdate(ServerState state, int round, ClientUpdate update) {
    return LoraNames.unpaired(update.tensors().keySet()).map(s -> "sent LoRA factor " + s);
  }
}
