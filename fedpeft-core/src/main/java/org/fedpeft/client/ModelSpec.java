package org.fedpeft.client;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a client builds on the frozen base each round: an adapter of a registered method with its
 * options, initialised from a seed, and a classification head. The server and every client build
 * from the same spec, so FROZEN_SHARED tensors (derived from {@code adapterSeed}) agree everywhere.
 *
 * @param method the adapter method's registry name, or null for a head on the frozen encoder
 * @param options the method's options (copied, sorted)
 * @param adapterSeed the seed of the adapter's initial values
 * @param numLabels the head's output size
 * @param headSeed the seed of the head's initial values
 */
public record ModelSpec(
    String method, Map<String, String> options, long adapterSeed, int numLabels, long headSeed) {

  /** Validates and copies. */
  public ModelSpec {
    options = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(options)));
    if (numLabels < 1) {
      throw new IllegalArgumentException("numLabels must be at least 1, got " + numLabels);
    }
  }
}
