package org.fedpeft.peft.expansion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.config.ConfigSchema;
import org.fedpeft.config.ConfigSchema.Type;
import org.fedpeft.config.ConfigValues;
import org.fedpeft.config.OptionException;

/**
 * Configuration of FedBE block expansion: how many new blocks, where they go, and how the {@code
 * fedbe} strategy allocates them to clients.
 *
 * @param blocks m, the number of new blocks, at least 1
 * @param positions where each new block goes, as the index of the base block it follows (0 = after
 *     the first block), non-decreasing; empty for the default spacing (see {@link #positionsFor})
 * @param allocation the server's rule choosing each client's blocks: {@code coverage}, {@code
 *     random} or {@code fixed} (read by {@link FedBeStrategy})
 * @param coverageDecay how fast the coverage rule forgets: each round a block's coverage count is
 *     multiplied by this before the round's trainers are added, in [0, 1)
 * @param depthWeight the weight of the label-skew depth preference against coverage, at least 0
 */
public record ExpansionConfig(
    int blocks,
    List<Integer> positions,
    String allocation,
    double coverageDecay,
    double depthWeight) {

  /** The allocation rules. */
  public static final List<String> ALLOCATIONS = List.of("coverage", "random", "fixed");

  /** The options {@link #fromOptions} reads: name, type, default, check and meaning. */
  public static final ConfigSchema OPTIONS =
      new ConfigSchema()
          .key(
              "blocks",
              Type.INT,
              2,
              "m, the number of new transformer blocks (the only trainable part besides the head)",
              v -> (int) v >= 1 && (int) v <= 52,
              "in [1, 52]")
          .key(
              "positions",
              Type.STRING_LIST,
              List.of(),
              "the base block each new block follows (0 = after the first base block), one per new"
                  + " block, non-decreasing, e.g. 2+5; empty: one new block after every L/m base"
                  + " blocks")
          .key(
              "allocation",
              Type.STRING,
              "coverage",
              "how server.strategy = \"fedbe\" picks each client's blocks: coverage (least covered"
                  + " recently, deeper blocks for label-skewed clients), random, fixed",
              ALLOCATIONS::contains,
              "one of " + String.join(", ", ALLOCATIONS))
          .key(
              "coverage_decay",
              Type.DOUBLE,
              0.5,
              "coverage allocation: a block's count of recent trainers is multiplied by this each"
                  + " round",
              v -> (double) v >= 0 && (double) v < 1,
              "in [0, 1)")
          .key(
              "depth_weight",
              Type.DOUBLE,
              1.0,
              "coverage allocation: weight of the preference for deeper blocks for clients whose"
                  + " label histogram is far from the global one",
              v -> (double) v >= 0,
              ">= 0")
          .federatedOnly(
              "allocation",
              "server.strategy = \"fedbe\" allocates blocks to the clients of a round, and train"
                  + " trains every block")
          .federatedOnly(
              "coverage_decay",
              "it tunes server.strategy = \"fedbe\"'s allocation of blocks to the clients of a"
                  + " round, and train trains every block")
          .federatedOnly(
              "depth_weight",
              "it tunes server.strategy = \"fedbe\"'s allocation of blocks to the clients of a"
                  + " round, and train trains every block");

  /** Validates every field, naming the one that is wrong. */
  public ExpansionConfig {
    if (blocks < 1 || blocks > 52) {
      throw new IllegalArgumentException("fedbe: blocks must be in [1, 52], got " + blocks);
    }
    positions = List.copyOf(positions);
    if (!positions.isEmpty() && positions.size() != blocks) {
      throw new IllegalArgumentException(
          "fedbe: positions lists "
              + positions.size()
              + " positions "
              + positions
              + " but blocks = "
              + blocks
              + " (give one position per new block)");
    }
    for (int i = 0; i < positions.size(); i++) {
      if (positions.get(i) < 0 || (i > 0 && positions.get(i) < positions.get(i - 1))) {
        throw new OptionException(
            "fedbe",
            "positions",
            " = "
                + String.join("+", positions.stream().map(String::valueOf).toList())
                + ": positions must be non-negative and non-decreasing (base blocks 0 to L - 1,"
                + " in order)");
      }
    }
    if (!ALLOCATIONS.contains(allocation)) {
      throw new IllegalArgumentException(
          "fedbe: allocation must be one of " + ALLOCATIONS + ", got " + allocation);
    }
    if (!(coverageDecay >= 0 && coverageDecay < 1)) {
      throw new IllegalArgumentException(
          "fedbe: coverage_decay must be in [0, 1), got " + coverageDecay);
    }
    if (!(depthWeight >= 0) || !Double.isFinite(depthWeight)) {
      throw new IllegalArgumentException("fedbe: depth_weight must be >= 0, got " + depthWeight);
    }
  }

  /**
   * Reads the options of {@link #OPTIONS}; missing ones take its defaults.
   *
   * @throws IllegalArgumentException naming an unknown option or a bad value
   */
  public static ExpansionConfig fromOptions(Map<String, String> options) {
    ConfigValues v = OPTIONS.readOptions(options, "fedbe");
    List<Integer> pos = new ArrayList<>();
    for (String s : v.getStringList("positions")) {
      try {
        pos.add(Integer.parseInt(s));
      } catch (NumberFormatException e) {
        throw new OptionException(
            "fedbe",
            "positions",
            " = " + options.get("positions") + ": " + s + " is no integer",
            e);
      }
    }
    return new ExpansionConfig(
        v.getInt("blocks"),
        pos,
        v.getString("allocation"),
        v.getDouble("coverage_decay"),
        v.getDouble("depth_weight"));
  }

  /** The options that {@link #fromOptions} reads back to this config. */
  public Map<String, String> toOptions() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("blocks", Integer.toString(blocks));
    m.put("positions", String.join("+", positions.stream().map(String::valueOf).toList()));
    m.put("allocation", allocation);
    m.put("coverage_decay", Double.toString(coverageDecay));
    m.put("depth_weight", Double.toString(depthWeight));
    return m;
  }

  /**
   * The position of each new block in an encoder of {@code layers} base blocks: the explicit list,
   * or by default block k (k = 1..m) after base block ceil(k L / m) - 1, i.e. one new block after
   * every L/m base blocks, the last one on top (L = 6, m = 2: after blocks 2 and 5). With m > L
   * several new blocks share a position and run one after the other (L = 2, m = 4: 0, 0, 1, 1).
   *
   * @throws IllegalArgumentException if an explicit position is not a base block
   */
  public List<Integer> positionsFor(int layers) {
    if (!positions.isEmpty()) {
      for (int p : positions) {
        if (p >= layers) {
          throw new OptionException(
              "fedbe",
              "positions",
              " = "
                  + String.join("+", positions.stream().map(String::valueOf).toList())
                  + ": position "
                  + p
                  + " is not a base block (the encoder has "
                  + (layers == 1 ? "1 block, 0" : layers + " blocks, 0 to " + (layers - 1))
                  + ")");
        }
      }
      return positions;
    }
    List<Integer> out = new ArrayList<>();
    for (int k = 1; k <= blocks; k++) {
      out.add((int) ((long) k * layers + blocks - 1) / blocks - 1); // ceil(k L / m) - 1
    }
    return List.copyOf(out);
  }
}
