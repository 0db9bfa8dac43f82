package org.fedpeft.peft;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.fedpeft.config.NearestKeys;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.BertWeights;

/**
 * Selects the linear modules an adapter attaches to, by name pattern.
 *
 * <p>Module names are Hugging Face's, e.g. {@code encoder.layer.3.attention.self.query}. A pattern
 * matches as in Hugging Face PEFT: a module whose full name equals it or ends with {@code "." +
 * pattern} ({@code query}, {@code value}, {@code attention.output.dense}; note that {@code
 * output.dense} matches both the attention output and the FFN output, as in PEFT). A pattern with
 * regular-expression characters must match a full name. fedpeft adds unambiguous aliases: {@code
 * attention.output} (the attention output projection), {@code ffn.in} ({@code intermediate.dense}),
 * {@code ffn.out} (the block's final {@code output.dense}) and {@code all-linear}.
 */
public final class TargetModules {

  private static final Map<String, String> ALIASES =
      Map.of(
          "attention.output", "encoder\\.layer\\.\\d+\\.attention\\.output\\.dense",
          "ffn.in", "encoder\\.layer\\.\\d+\\.intermediate\\.dense",
          "ffn.out", "encoder\\.layer\\.\\d+\\.output\\.dense",
          "all-linear", "encoder\\.layer\\.\\d+\\..*");

  private TargetModules() {}

  /** One selected module: block index and index into {@link BertWeights#LINEAR_MODULES}. */
  public record Slot(int layer, int module) {
    /** The Hugging Face module name. */
    public String name() {
      return BertWeights.linearName(layer, BertWeights.LINEAR_MODULES.get(module));
    }
  }

  /**
   * Refuses a rank above min(out, in) of a module the patterns select: an update made of rank-r
   * factors of an (out x in) module has rank at most that, so a larger r adds parameters and memory
   * (r = 100000 ran out of it) and nothing else. Checked before anything is allocated.
   *
   * @param method the adapter method whose option {@code rank} it is, which the message names
   * @param update the update whose rank is bounded, in the message's words ("the update B A")
   * @throws org.fedpeft.config.OptionException naming the method, the option, the module and the
   *     bound
   */
  public static void requireRankFits(
      String method, int rank, List<String> patterns, BertEncoder encoder, String update) {
    for (Slot slot : select(encoder.config(), patterns)) {
      Shape w = encoder.linearShape(slot.layer(), slot.module()); // (out, in)
      long bound = Math.min(w.get(0), w.get(1));
      if (rank > bound) {
        throw new org.fedpeft.config.OptionException(
            method,
            "rank",
            " = "
                + rank
                + " is more than "
                + slot.name()
                + " allows ("
                + w.get(0)
                + " x "
                + w.get(1)
                + "): "
                + update
                + " has rank at most min(out, in) = "
                + bound
                + ", so a larger rank only costs memory; give rank <= "
                + bound);
      }
    }
  }

  /** The blocks a pattern is tried against when no model is at hand ({@link #requireKnown}). */
  private static final int ANY_DEPTH = 128;

  /**
   * The slots the patterns select, in (layer, module) order.
   *
   * @throws IllegalArgumentException if the list is empty, a regex is invalid, or a pattern matches
   *     nothing
   */
  public static List<Slot> select(BertConfig config, List<String> patterns) {
    return select(config.numLayers(), true, patterns);
  }

  /**
   * Checks patterns before a model is loaded (a config key's check): every pattern must be able to
   * select a linear module of a BERT encoder of up to {@value #ANY_DEPTH} blocks. {@link #select}
   * checks them again against the model's own depth.
   *
   * @return true
   * @throws IllegalArgumentException as {@link #select}, naming the first pattern that matches
   *     nothing and the nearest module names
   */
  public static boolean requireKnown(List<?> patterns) {
    select(ANY_DEPTH, false, patterns.stream().map(String::valueOf).toList());
    return true;
  }

  /**
   * @param ofModel whether {@code layers} is a model's depth (else the depth of any model, {@link
   *     #requireKnown})
   */
  private static List<Slot> select(int layers, boolean ofModel, List<String> patterns) {
    if (patterns == null || patterns.isEmpty()) {
      throw new IllegalArgumentException(
          "the list is empty; give at least one module name, alias or pattern");
    }
    List<Pattern> compiled = new ArrayList<>();
    for (String p : patterns) {
      compiled.add(compile(p));
    }
    List<Slot> slots = new ArrayList<>();
    boolean[] used = new boolean[patterns.size()];
    for (int layer = 0; layer < layers; layer++) {
      for (int m = 0; m < BertWeights.LINEAR_MODULES.size(); m++) {
        String name = BertWeights.linearName(layer, BertWeights.LINEAR_MODULES.get(m));
        boolean hit = false;
        for (int i = 0; i < patterns.size(); i++) {
          if (matches(patterns.get(i), compiled.get(i), name)) {
            used[i] = true;
            hit = true;
          }
        }
        if (hit) {
          slots.add(new Slot(layer, m));
        }
      }
    }
    for (int i = 0; i < used.length; i++) {
      if (!used[i]) {
        throw new IllegalArgumentException(noMatch(patterns.get(i), ofModel ? layers : null));
      }
    }
    return slots;
  }

  /** Why {@code pattern} selects nothing; {@code modelLayers} is null when no model is at hand. */
  private static String noMatch(String pattern, Integer modelLayers) {
    Set<String> names = new TreeSet<>(ALIASES.keySet());
    for (String m : BertWeights.LINEAR_MODULES) {
      names.add(m);
      names.add(m.substring(m.lastIndexOf('.') + 1));
    }
    // Against a model's own depth, the pattern is a module name of a deeper model: no typo.
    String near = modelLayers != null ? "" : NearestKeys.didYouMean(pattern, names, "\"");
    return "target \""
        + pattern
        + "\" matches no linear module"
        + (modelLayers != null ? " of this " + modelLayers + "-block model" : "")
        + near
        + " (names look like "
        + BertWeights.linearName(0, "attention.self.query")
        + "; aliases: "
        + String.join(", ", new TreeSet<>(ALIASES.keySet()))
        + ")";
  }

  private static Pattern compile(String p) {
    String alias = ALIASES.get(p);
    if (alias != null) {
      return Pattern.compile(alias);
    }
    if (p.chars().anyMatch(c -> "*^$[](|\\+?{}".indexOf(c) >= 0)) {
      try {
        return Pattern.compile(p);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "target \""
                + p
                + "\" is not a valid regular expression: "
                + e.getDescription()
                + (e.getIndex() >= 0 ? " at index " + e.getIndex() : ""));
      }
    }
    return null;
  }

  private static boolean matches(String pattern, Pattern regex, String name) {
    if (regex != null) {
      return regex.matcher(name).matches();
    }
    return name.equals(pattern) || name.endsWith("." + pattern);
  }
}
