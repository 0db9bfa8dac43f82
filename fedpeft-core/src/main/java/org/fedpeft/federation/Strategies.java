package org.fedpeft.federation;

import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.lora.LoraConfig;

/** The providers of the built-in strategies, registered in fedpeft-core's service file. */
public final class Strategies {

  private Strategies() {}

  /** {@code fedit}: LoRA's A and B averaged separately ({@link FedIt}). */
  public static final class FedItProvider implements StrategyProvider {
    @Override
    public String name() {
      return "fedit";
    }

    @Override
    public String description() {
      return "FedIT: LoRA factors averaged separately (A and B sent together)";
    }

    /** Not an adapter that shares one LoRA factor of a module alone (fedsa-lora shares A). */
    @Override
    public void requireAdapter(String adapterMethod, Map<String, String> adapterOptions) {
      if (adapterMethod == null || !AdapterRegistry.all().containsKey(adapterMethod)) {
        return;
      }
      String alone = AdapterRegistry.get(adapterMethod).sharesLoraFactorAlone(adapterOptions);
      if (alone != null) {
        throw new IllegalArgumentException(
            "server.strategy = fedit aggregates each module's LoRA A and B together, but"
                + " adapter.method = "
                + adapterMethod
                + " shares "
                + alone
                + " alone (the other factor stays on each client), so every update would be"
                + " refused");
      }
    }

    @Override
    public Strategy create(Context c) {
      requireAdapter(c.adapterMethod(), c.adapterOptions());
      return new FedIt(c.options());
    }
  }

  /**
   * {@code fedavg}: every GLOBAL tensor averaged over the clients that sent it ({@link FedAvg}).
   */
  public static final class FedAvgProvider implements StrategyProvider {
    @Override
    public String name() {
      return "fedavg";
    }

    @Override
    public String description() {
      return "FedAvg: each GLOBAL tensor averaged over the clients that sent it";
    }

    @Override
    public Strategy create(Context c) {
      return new FedAvg(c.options());
    }
  }

  /** {@code ffa-lora}: A frozen and shared, B averaged ({@link FfaLora}). */
  public static final class FfaLoraProvider implements StrategyProvider {
    @Override
    public String name() {
      return "ffa-lora";
    }

    @Override
    public String description() {
      return "FFA-LoRA: A frozen (FROZEN_SHARED, from the run seed), only B trained and averaged";
    }

    @Override
    public void requireAdapter(String adapterMethod, Map<String, String> adapterOptions) {
      StrategyProvider.requireLora(name(), adapterMethod);
      if (!"false".equals(adapterOptions.get("train_a"))) {
        throw new AdapterOptionRefusedException(
            List.of("train_a"),
            "server.strategy = ffa-lora needs adapter.method = lora with A frozen"
                + " (adapter.train_a = false, the default for this strategy)");
      }
    }

    @Override
    public Strategy create(Context c) {
      requireAdapter(c.adapterMethod(), c.adapterOptions());
      return new FfaLora(c.options());
    }
  }

  /**
   * {@code fedex-lora}: FedIT plus the residual folded into the frozen weights ({@link FedExLora}).
   */
  public static final class FedExLoraProvider implements StrategyProvider {
    @Override
    public String name() {
      return "fedex-lora";
    }

    @Override
    public String description() {
      return "FedEx-LoRA: FedIT plus mean(BA) - mean(B) mean(A) folded into the frozen weights";
    }

    @Override
    public void requireAdapter(String adapterMethod, Map<String, String> adapterOptions) {
      StrategyProvider.requireLora(name(), adapterMethod);
    }

    @Override
    public Strategy create(Context c) {
      requireAdapter(c.adapterMethod(), c.adapterOptions());
      return new FedExLora(LoraConfig.fromOptions(c.adapterOptions()).scaling(), c.options());
    }
  }

  /**
   * What the rank-heterogeneous strategies share: client c trains LoRA of rank r_c = round(budget_c
   * r) with A trained, r being the adapter's rank ({@link #maxRank}).
   */
  abstract static class RankHeterogeneousProvider implements StrategyProvider {
    /** Client c's rank is round(budget_c r). */
    @Override
    public boolean usesBudgets() {
      return true;
    }

    /**
     * Not with LoRA rank 1: every client's rank is max(1, round(budget_c)) = 1. Any other adapter
     * counts as read: the strategy refuses it, with its own message.
     */
    @Override
    public boolean usesBudgets(String adapterMethod, Map<String, String> adapterOptions) {
      if (!"lora".equals(adapterMethod)) {
        return true;
      }
      try {
        return LoraConfig.fromOptions(adapterOptions).rank() > 1;
      } catch (IllegalArgumentException e) {
        return true; // bad options: their own error is the one to report
      }
    }

    /** Refuses an adapter other than LoRA with A trained. */
    @Override
    public void requireAdapter(String adapterMethod, Map<String, String> adapterOptions) {
      StrategyProvider.requireLora(name(), adapterMethod);
      if (!LoraConfig.fromOptions(adapterOptions).trainA()) {
        throw new AdapterOptionRefusedException(
            List.of("train_a"),
            "server.strategy = " + name() + " trains A and B; it needs adapter.train_a = true");
      }
    }

    /** r_max: the LoRA adapter's rank, once {@link #requireAdapter} accepts the adapter. */
    int maxRank(Context c) {
      requireAdapter(c.adapterMethod(), c.adapterOptions());
      return LoraConfig.fromOptions(c.adapterOptions()).rank();
    }
  }

  /**
   * {@code hetlora}: rank-heterogeneous LoRA, zero-padded factors averaged with sparsity weights
   * ({@link HetLora}).
   */
  public static final class HetLoraProvider extends RankHeterogeneousProvider {
    @Override
    public String name() {
      return HetLora.NAME;
    }

    @Override
    public String description() {
      return "HetLoRA: client c trains LoRA of rank r_c = round(budget_c r) on the truncated global"
          + " factors; zero-padded factors averaged with sparsity weights; optional self-pruning";
    }

    @Override
    public ConfigSchema optionSchema() {
      return HetLora.OPTIONS;
    }

    @Override
    public Strategy create(Context c) {
      return new HetLora(maxRank(c), HetLora.Config.fromOptions(c.strategyOptions()), c.options());
    }
  }

  /**
   * {@code flexlora}: rank-heterogeneous LoRA, the clients' products averaged and SVD-truncated
   * ({@link FlexLora}).
   */
  public static final class FlexLoraProvider extends RankHeterogeneousProvider {
    @Override
    public String name() {
      return FlexLora.NAME;
    }

    @Override
    public String description() {
      return "FlexLoRA: client c trains LoRA of rank r_c = round(budget_c r); the mean of the"
          + " products B_c A_c, truncated by SVD, is sent back at each client's rank";
    }

    @Override
    public Strategy create(Context c) {
      return new FlexLora(maxRank(c), c.options());
    }
  }
}
