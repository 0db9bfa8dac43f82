package org.fedpeft.federation;

import java.util.List;

/**
 * A strategy's refusal of the run's adapter because of the values of some of its options ({@link
 * StrategyProvider#requireAdapter}: FFA-LoRA with {@code adapter.train_a = true}), naming those
 * options as data, so that a config names their keys with where they were set without reading the
 * message.
 */
public final class AdapterOptionRefusedException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final List<String> options;

  /**
   * @param options the adapter options refused, without the {@code adapter.} prefix ({@code
   *     train_a})
   * @param message why, naming the keys
   */
  public AdapterOptionRefusedException(List<String> options, String message) {
    super(message);
    this.options = List.copyOf(options);
  }

  /** The adapter options refused, without the {@code adapter.} prefix ({@code train_a}). */
  public List<String> options() {
    return options;
  }
}
