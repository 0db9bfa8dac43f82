package org.fedpeft.federation;

import java.util.Collection;
import java.util.Optional;
import java.util.TreeSet;
import org.fedpeft.tensor.HostTensor;

/**
 * The naming convention of LoRA tensors that the LoRA strategies rely on, as {@link
 * org.fedpeft.peft.lora.LoraAdapter} names them: {@code <module>.lora_A} (r x in) and {@code
 * <module>.lora_B} (out x r), e.g. {@code encoder.layer.0.attention.self.query.lora_A}; and
 * FedEx-LoRA's dense correction {@code <module>.residual} (out x in).
 */
public final class LoraNames {

  /** Suffix of the down-projection A (r x in). */
  public static final String A_SUFFIX = ".lora_A";

  /** Suffix of the up-projection B (out x r). */
  public static final String B_SUFFIX = ".lora_B";

  /** Suffix of FedEx-LoRA's residual (out x in). */
  public static final String RESIDUAL_SUFFIX = ".residual";

  private LoraNames() {}

  /** True for a LoRA A tensor. */
  public static boolean isA(String name) {
    return name.endsWith(A_SUFFIX);
  }

  /** True for a LoRA B tensor. */
  public static boolean isB(String name) {
    return name.endsWith(B_SUFFIX);
  }

  /** The module of an A or B tensor, e.g. {@code encoder.layer.0.attention.self.query}. */
  public static String module(String name) {
    if (isA(name)) {
      return name.substring(0, name.length() - A_SUFFIX.length());
    }
    if (isB(name)) {
      return name.substring(0, name.length() - B_SUFFIX.length());
    }
    throw new IllegalArgumentException("'" + name + "' is not a LoRA A or B tensor");
  }

  /** The modules that have an A or a B among the names, sorted. */
  public static TreeSet<String> modules(Collection<String> names) {
    TreeSet<String> out = new TreeSet<>();
    for (String n : names) {
      if (isA(n) || isB(n)) {
        out.add(module(n));
      }
    }
    return out;
  }

  /**
   * The first LoRA factor among the names whose partner is missing, described, or empty if every A
   * comes with its B and vice versa.
   */
  public static Optional<String> unpaired(Collection<String> names) {
    TreeSet<String> set = new TreeSet<>(names);
    for (String n : set) {
      if (isA(n) && !set.contains(module(n) + B_SUFFIX)) {
        return Optional.of("'" + n + "' without '" + module(n) + B_SUFFIX + "'");
      }
      if (isB(n) && !set.contains(module(n) + A_SUFFIX)) {
        return Optional.of("'" + n + "' without '" + module(n) + A_SUFFIX + "'");
      }
    }
    return Optional.empty();
  }

  /**
   * A LoRA factor at rank {@code k}: A (r x in) keeps its first k rows, B (out x r) its first k
   * columns, or, when k > r, gets zero rows (A) or zero columns (B) after its own.
   *
   * @param isA whether {@code t} is an A factor ({@link #isA}), else a B factor
   */
  public static HostTensor withRank(HostTensor t, boolean isA, int k) {
    int rows = (int) t.shape()[0];
    int cols = (int) t.shape()[1];
    if (isA) {
      return new HostTensor(new long[] {k, cols}, java.util.Arrays.copyOf(t.data(), k * cols));
    }
    float[] v = new float[rows * k];
    int kept = Math.min(k, cols);
    for (int o = 0; o < rows; o++) {
      System.arraycopy(t.data(), o * cols, v, o * k, kept);
    }
    return new HostTensor(new long[] {rows, k}, v);
  }
}
