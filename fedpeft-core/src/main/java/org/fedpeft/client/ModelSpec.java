package org.fedpeft.client;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.fedpeft.heads.HeadLayout;

/**
 * What a client builds on the frozen base each round: an adapter of a registered method with its
 * options, initialised from a seed, and a classification head. The server and every client build
 * from the same spec, so FROZEN_SHARED tensors (derived from {@code adapterSeed}) agree everywhere.
 *
 * @param method the adapter method's registry name, or null for a head on the frozen encoder
 * @param options the method's options (copied, sorted)
 * @param adapterSeed the seed of the adapter's initial values
 * @param head the head's outputs (one block per task in a multi-task run)
 * @param headSeed the seed of the head's initial values
 */
public record ModelSpec(
    String method, Map<String, String> options, long adapterSeed, HeadLayout head, long headSeed) {

  /** Validates and copies. */
  public ModelSpec {
    options = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(options)));
    Objects.requireNonNull(head, "head");
  }

  /** A spec with a single-task head of {@code numLabels} outputs. */
  public ModelSpec(
      String method, Map<String, String> options, long adapterSeed, int numLabels, long headSeed) {
    this(method, options, adapterSeed, HeadLayout.single(numLabels), headSeed);
  }

  /** The head's output size (every task's block). */
  public int numLabels() {
    return head.total();
  }
}
