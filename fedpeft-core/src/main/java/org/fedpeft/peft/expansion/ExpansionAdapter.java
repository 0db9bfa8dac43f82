package org.fedpeft.peft.expansion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.HookContext;
import org.fedpeft.peft.AbstractAdapter;
import org.fedpeft.peft.GradientProbe;
import org.fedpeft.peft.RoundSpec;

/**
 * FedBE's expanded encoder (Huo et al. 2025, arXiv 2506.05977): m new {@link ExpansionBlock}s
 * inserted between the frozen base blocks through {@link #afterBlock}, equal to the base model at
 * init. The new blocks are GLOBAL and, with the head, the only trainable part.
 *
 * <p>Per round, the strategy names the blocks a client trains in its config under {@link
 * #BLOCKS_KEY} (a comma list of block indices; absent: every block, as in centralised training).
 * {@link #beginRound} turns gradient recording on for those blocks only, so an unassigned block
 * runs in the forward pass (frozen this round) and autograd never computes its gradient; {@link
 * #firstAdaptedLayer} then returns the base block just above the lowest assigned new block, so
 * every base block below runs on the encoder's scripted path and the backward pass stops there.
 */
public final class ExpansionAdapter extends AbstractAdapter {

  /** The per-client config key listing the blocks a client trains this round, e.g. {@code 0,2}. */
  public static final String BLOCKS_KEY = "fedbe.blocks";

  private final ExpansionConfig config;
  private final BertEncoder encoder;
  private final NDManager manager;
  private final List<ExpansionBlock> blocks = new ArrayList<>();
  private final List<List<ExpansionBlock>> byPosition =
      new ArrayList<>(); // new blocks after each base block, in order
  private final Shape hiddenShape;
  private Set<Integer> assigned; // blocks trained this round

  /** Builds the new blocks from the encoder's weights (the init does not depend on a seed). */
  public ExpansionAdapter(ExpansionConfig config, BertEncoder encoder) {
    super(ExpansionMethod.NAME);
    this.config = config;
    this.encoder = encoder;
    this.manager = encoder.manager().newSubManager();
    this.hiddenShape = new Shape(encoder.config().hiddenSize());
    int layers = encoder.config().numLayers();
    List<Integer> positions = config.positionsFor(layers);
    for (int l = 0; l < layers; l++) {
      byPosition.add(new ArrayList<>());
    }
    try {
      for (int j = 0; j < positions.size(); j++) {
        ExpansionBlock b = new ExpansionBlock(j, positions.get(j), encoder, manager);
        blocks.add(b);
        byPosition.get(b.position()).add(b);
        b.tensors().forEach(this::addTensor);
      }
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
    Set<Integer> all = new TreeSet<>();
    for (int j = 0; j < blocks.size(); j++) {
      all.add(j);
    }
    this.assigned = Collections.unmodifiableSet(all);
  }

  public ExpansionConfig config() {
    return config;
  }

  /** The base block each new block follows, by block index. */
  public List<Integer> positions() {
    return blocks.stream().map(ExpansionBlock::position).toList();
  }

  /**
   * The options, with {@code positions} the base blocks the new blocks follow on this encoder (the
   * default spacing made explicit), so a run's summary and a saved adapter say where the blocks
   * are; the same blocks are built from them again.
   */
  @Override
  public Map<String, String> options() {
    Map<String, String> o = new java.util.LinkedHashMap<>(config.toOptions());
    o.put("positions", String.join("+", positions().stream().map(String::valueOf).toList()));
    return o;
  }

  /**
   * Reads this client's blocks from {@link #BLOCKS_KEY} (absent: every block) and records gradients
   * for those blocks only.
   *
   * @throws IllegalArgumentException naming the round and value if the list is empty, malformed or
   *     names a block that does not exist
   */
  @Override
  public void beginRound(RoundSpec spec) {
    String raw = spec.config().get(BLOCKS_KEY);
    Set<Integer> chosen = new TreeSet<>();
    if (raw == null) {
      for (int j = 0; j < blocks.size(); j++) {
        chosen.add(j);
      }
    } else {
      chosen.addAll(parseBlocks(raw, blocks.size(), "round " + spec.round() + ": config"));
    }
    for (ExpansionBlock b : blocks) {
      b.setRequiresGradient(chosen.contains(b.index()));
    }
    this.assigned = Collections.unmodifiableSet(chosen);
  }

  /**
   * Parses a block list such as {@code 0,2} written by {@link #formatBlocks}.
   *
   * @param where names the source in errors
   * @throws IllegalArgumentException if it is empty, malformed, or names a block outside [0, m)
   */
  public static Set<Integer> parseBlocks(String raw, int m, String where) {
    Set<Integer> out = new TreeSet<>();
    for (String s : raw.split(",")) {
      int j;
      try {
        j = Integer.parseInt(s.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            where + " " + BLOCKS_KEY + " = \"" + raw + "\": \"" + s + "\" is no block index", e);
      }
      if (j < 0 || j >= m) {
        throw new IllegalArgumentException(
            where
                + " "
                + BLOCKS_KEY
                + " = \""
                + raw
                + "\": block "
                + j
                + " is not in [0, "
                + m
                + ")");
      }
      out.add(j);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(where + " " + BLOCKS_KEY + " is empty");
    }
    return out;
  }

  /** The config value for a set of blocks: indices in increasing order, comma-separated. */
  public static String formatBlocks(Set<Integer> blocks) {
    return String.join(",", new TreeSet<>(blocks).stream().map(String::valueOf).toList());
  }

  /** The tensors of the assigned blocks. */
  @Override
  public Set<String> trainableThisRound(RoundSpec spec, GradientProbe probe) {
    Set<String> names = new LinkedHashSet<>();
    for (ExpansionBlock b : blocks) {
      if (assigned.contains(b.index())) {
        b.tensors().forEach(t -> names.add(t.name()));
      }
    }
    return names;
  }

  /** True: the new blocks' forward reads their tensors and the blocks assigned this round only. */
  @Override
  public boolean concurrentBatches() {
    return true;
  }

  @Override
  public boolean changesLinear(int layer, int module) {
    return false;
  }

  /**
   * The base block above the lowest assigned new block: the new block after base block p is
   * computed in {@link #afterBlock} of layer p, so base blocks 0..p compute the base model on their
   * inputs and need no gradients. {@link Integer#MAX_VALUE} when disabled or nothing is assigned.
   */
  @Override
  public int firstAdaptedLayer() {
    if (!isEnabled()) {
      return Integer.MAX_VALUE;
    }
    int lowest = Integer.MAX_VALUE;
    for (ExpansionBlock b : blocks) {
      if (assigned.contains(b.index())) {
        lowest = Math.min(lowest, b.position() + 1);
      }
    }
    return lowest;
  }

  @Override
  public NDArray afterBlock(int layer, NDArray hidden, HookContext ctx) {
    List<ExpansionBlock> here = byPosition.get(layer);
    if (!isEnabled() || here.isEmpty()) {
      return hidden;
    }
    long batch = hidden.getShape().get(0);
    long seq = hidden.getShape().get(1);
    NDArray x = hidden.reshape(batch * seq, hiddenShape.get(0));
    if (layer < firstAdaptedLayer()) {
      // Base block `layer` ran on the scripted path, whose outputs autograd cannot save; a copy it
      // can (as the encoder does for its own first eager block).
      x = x.duplicate();
    }
    NDArray maskBias = ctx.value(HookContext.ATTENTION_MASK_BIAS);
    for (ExpansionBlock b : here) {
      x = b.forward(x, batch, seq, maskBias, encoder, hiddenShape);
    }
    return x.reshape(batch, seq, hiddenShape.get(0));
  }

  @Override
  public void close() {
    manager.close();
  }
}
