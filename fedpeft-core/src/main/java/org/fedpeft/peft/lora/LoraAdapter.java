package org.fedpeft.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.BertWeights;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.LowRankDelta;
import org.fedpeft.peft.AbstractAdapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Dropout;
import org.fedpeft.peft.PerExampleGradients;
import org.fedpeft.peft.Role;
import org.fedpeft.peft.RoundSpec;
import org.fedpeft.peft.TargetModules;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.tensor.LowRank;

/**
 * LoRA on the target linear modules of a BERT encoder.
 *
 * <p>Tensor names are the module name plus {@code .lora_A} / {@code .lora_B}, e.g. {@code
 * encoder.layer.0.attention.self.query.lora_A} (r x in) and {@code ...lora_B} (out x r). A is drawn
 * as PyTorch's {@code kaiming_uniform_(a = sqrt(5))} draws it (uniform in +-1/sqrt(in)), from a
 * generator seeded with the given seed, so the same seed gives the same A on every machine; B is
 * zero, so the adapted model equals the base model at init. Both are GLOBAL.
 *
 * <p><b>A rank per round.</b> When the round's config carries {@value #RANK_KEY} = k (set by the
 * rank-heterogeneous strategies {@code hetlora} and {@code flexlora}; {@code 1 <= k <= r}), {@link
 * #beginRound} truncates the adapter for the round: the forward pass computes {@code (alpha / r)
 * B[:, :k] A[:k, :] x}, so components k..r-1 take no part and get zero gradients, and {@link
 * #uplink} sends {@code A[:k, :]} (k x in) and {@code B[:, :k]} (out x k): exactly the k components
 * the client trained. The scaling stays alpha / r with r the configured (maximum) rank, so a
 * client's model is exactly the truncation of the global one and every client's factors have the
 * same scale. With {@value #PRUNE_KEY} = gamma as well, the uplink may drop the last components
 * (HetLoRA's self-pruning, see {@link #prunedRank}). Without the key nothing changes.
 */
public final class LoraAdapter extends AbstractAdapter implements PerExampleGradients {

  private final LoraConfig config;
  private final NDManager manager;
  private final NDArray[][] loraA;
  private final NDArray[][] loraB;
  private final NDArray scalingArray; // alpha / r, kept alive for autograd
  private final int firstLayer; // the lowest targeted block
  private boolean merged;
  private NDArray[][] perExampleA; // (batch, r, in) leaf replicas while in per-example mode
  private NDArray[][] perExampleB; // (batch, out, r)
  // The round's rank (RANK_KEY), and whether the round config set it.
  private int activeRank;
  private boolean rankFromRound;
  private double pruneGamma; // 0: no self-pruning this round
  private double tailAtStart; // sum over modules of ||B_T A_T||_F^2 of the prunable tail, at start
  private int sentRank = -1; // the rank of the last uplink under a round rank, -1 before
  private NDIndex rowsOfA; // [:k] of A (r, in)
  private NDIndex colsOfB; // [:, :k] of B (out, r)
  private NDIndex rowsOfReplicaA; // [:, :k] of (batch, r, in)
  private NDIndex colsOfReplicaB; // [:, :, :k] of (batch, out, r)

  /**
   * The per-client round config key of the rank the client trains this round, an integer in [1, r].
   * Named here, as Ravan names its budget key, so that peft does not depend on federation.
   */
  public static final String RANK_KEY = "lora_rank";

  /**
   * The per-client round config key that turns on HetLoRA's self-pruning with decay gamma in (0,
   * 1): see {@link #prunedRank}.
   */
  public static final String PRUNE_KEY = "lora_prune_gamma";

  /**
   * A LoRA adapter on the encoder's modules that {@code config} targets, with A drawn from {@code
   * seed} and B zero.
   *
   * @throws IllegalArgumentException if the rank is more than min(out, in) of a targeted module,
   *     naming the option, the module and the bound (before anything is allocated)
   */
  public LoraAdapter(LoraConfig config, BertEncoder encoder, long seed) {
    this("lora", config, encoder, seed);
  }

  /**
   * As {@link #LoraAdapter(LoraConfig, BertEncoder, long)}, for adapter method {@code method}
   * (fedlora, fedsa-lora, ...), which a refused rank names: the options are that method's.
   */
  public LoraAdapter(String method, LoraConfig config, BertEncoder encoder, long seed) {
    this(config, encoder, seed, method);
  }

  /**
   * A LoRA adapter to load saved factors into ({@link LoraMethod#createForSaved}): as {@link
   * #LoraAdapter(LoraConfig, BertEncoder, long)}, but a rank above min(out, in) of a targeted
   * module is accepted, as PEFT accepts it.
   */
  public static LoraAdapter forSaved(LoraConfig config, BertEncoder encoder, long seed) {
    return new LoraAdapter(config, encoder, seed, null);
  }

  /** The adapter; {@code method} null: no rank bound, else the method a refused rank names. */
  private LoraAdapter(LoraConfig config, BertEncoder encoder, long seed, String method) {
    super("lora");
    if (method != null) {
      requireRankFits(method, config, encoder);
    }
    this.config = config;
    BertConfig bc = encoder.config();
    this.manager = encoder.manager().newSubManager();
    this.scalingArray = manager.create(config.scaling());
    int mods = BertWeights.LINEAR_MODULES.size();
    loraA = new NDArray[bc.numLayers()][mods];
    loraB = new NDArray[bc.numLayers()][mods];
    SplittableRandom rng = new SplittableRandom(seed);
    int lowest = Integer.MAX_VALUE;
    for (TargetModules.Slot slot : TargetModules.select(bc, config.targetModules())) {
      lowest = Math.min(lowest, slot.layer());
      Shape w = encoder.linearShape(slot.layer(), slot.module()); // (out, in)
      long out = w.get(0);
      long in = w.get(1);
      float bound = (float) (1.0 / Math.sqrt(in));
      float[] a = new float[Math.toIntExact(config.rank() * in)];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
      }
      NDArray arrA = manager.create(a, new Shape(config.rank(), in));
      NDArray arrB = manager.zeros(new Shape(out, config.rank()));
      arrA.setRequiresGradient(config.trainA());
      arrB.setRequiresGradient(true);
      loraA[slot.layer()][slot.module()] = arrA;
      loraB[slot.layer()][slot.module()] = arrB;
      addTensor(
          new AdapterTensor(
              slot.name() + ".lora_A", config.trainA() ? Role.GLOBAL : Role.FROZEN_SHARED, arrA));
      addTensor(new AdapterTensor(slot.name() + ".lora_B", Role.GLOBAL, arrB));
    }
    this.firstLayer = lowest;
    this.activeRank = config.rank();
  }

  /**
   * Refuses a rank above min(out, in) of a targeted module ({@link TargetModules#requireRankFits}):
   * B A (out x in) has rank at most that. The message names adapter method {@code method}, whose
   * option {@code rank} it is.
   *
   * @throws IllegalArgumentException naming the method, the option, the module and the bound
   */
  public static void requireRankFits(String method, LoraConfig config, BertEncoder encoder) {
    TargetModules.requireRankFits(
        method, config.rank(), config.targetModules(), encoder, "the update B A");
  }

  public LoraConfig config() {
    return config;
  }

  @Override
  public Map<String, String> options() {
    return config.toOptions();
  }

  /** Writes the adapter as a PEFT LoRA with its rank, alpha, dropout and targets. */
  @Override
  public void writePeftFiles(Path dir, String baseModel, JsonObject fedpeft) throws IOException {
    LoraExport.write(dir, this, baseModel, fedpeft);
  }

  /**
   * True outside the per-example mode: the hooks read the factors, the active rank and the scaling,
   * which change only between steps, and keep each batch's arrays in the batch's own results.
   */
  @Override
  public boolean concurrentBatches() {
    return perExampleB == null;
  }

  @Override
  public boolean changesLinear(int layer, int module) {
    return loraA[layer][module] != null;
  }

  @Override
  public LowRankDelta linearLowRank(int layer, int module, NDArray input, HookContext ctx) {
    return perExampleB != null ? null : factors(layer, module, input, ctx);
  }

  @Override
  public NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
    if (perExampleB == null) {
      LowRankDelta f = factors(layer, module, input, ctx);
      return f == null ? null : f.product(); // (b, s, out)
    }
    NDArray x = droppedInput(layer, module, input, ctx);
    if (x == null) {
      return null;
    }
    boolean truncated = activeRank < config.rank();
    // Batched products with one replica per example: (b, s, in) x (b, in, r) -> (b, s, r).
    NDArray ra = perExampleA[layer][module];
    NDArray rb = perExampleB[layer][module];
    if (truncated) {
      ra = ra == null ? null : ra.get(rowsOfReplicaA);
      rb = rb.get(colsOfReplicaB);
    }
    NDArray down =
        ra != null ? x.matMul(ra.transpose(0, 2, 1)) : x.matMul(activeA(layer, module).transpose());
    if (config.scaling() != 1f) {
      down = down.mul(scalingArray);
    }
    return down.matMul(rowMajorTranspose(rb)); // (b, s, out)
  }

  /**
   * The change of module {@code module} of block {@code layer} as factors, down (b, s, k) (input
   * after dropout, times A^T, times the scaling) and up (k, out) (B^T, row-major), outside the
   * per-example path; null where this adapter changes nothing.
   */
  private LowRankDelta factors(int layer, int module, NDArray input, HookContext ctx) {
    NDArray x = droppedInput(layer, module, input, ctx);
    if (x == null) {
      return null;
    }
    NDArray b = loraB[layer][module];
    if (activeRank < config.rank()) {
      b = b.get(colsOfB); // (out, k)
    }
    NDArray down =
        x.getNDArrayInternal().linear(x, activeA(layer, module), null).singletonOrThrow();
    // Scaling the rank-r activations instead of the output is out/r times less work; for a
    // power-of-two alpha / r (the default 16 / 8) the result is the same to the bit.
    if (config.scaling() != 1f) {
      // A long-lived scalar tensor, not mul(float): docs/architecture.md, "Never pass a Java
      // number to an op whose result needs a gradient".
      down = down.mul(scalingArray);
    }
    return new LowRankDelta(down, rowMajorTranspose(b));
  }

  /**
   * The module's input as LoRA sees it (after dropout when training), or null where this adapter
   * changes nothing now (module not adapted, adapter disabled or merged).
   */
  private NDArray droppedInput(int layer, int module, NDArray input, HookContext ctx) {
    if (loraA[layer][module] == null || !isEnabled() || merged) {
      return null;
    }
    return ctx.isTraining() && config.dropout() > 0
        ? Dropout.apply(input, config.dropout())
        : input;
  }

  /** A of a module, cut to the active rank: (k, in). */
  private NDArray activeA(int layer, int module) {
    NDArray a = loraA[layer][module];
    return activeRank < config.rank() ? a.get(rowsOfA) : a;
  }

  /**
   * B^T (the last two axes swapped) as a row-major copy, through which autograd still reaches B.
   * Multiplying by it instead of by the transposed view makes autograd form B's gradient as
   * down^T @ grad, a (k, tokens) x (tokens, out) product, instead of grad^T @ down, which MKL runs
   * about 7x slower at k = 8. The copy holds k x out floats (per example in the per-example path).
   */
  private static NDArray rowMajorTranspose(NDArray b) {
    Shape shape = b.getShape();
    int n = shape.dimension();
    long[] dims = shape.getShape().clone();
    dims[n - 1] = shape.get(n - 2);
    dims[n - 2] = shape.get(n - 1);
    NDArray view = n == 2 ? b.transpose() : b.transpose(0, 2, 1);
    return view.flatten().reshape(new Shape(dims));
  }

  @Override
  public int firstAdaptedLayer() {
    return firstLayer;
  }

  @Override
  public void beginPerExample(int batchSize) {
    perExampleA = new NDArray[loraA.length][];
    perExampleB = new NDArray[loraB.length][];
    for (int l = 0; l < loraA.length; l++) {
      perExampleA[l] = new NDArray[loraA[l].length];
      perExampleB[l] = new NDArray[loraB[l].length];
      for (int m = 0; m < loraA[l].length; m++) {
        if (loraA[l][m] == null) {
          continue;
        }
        if (config.trainA()) {
          perExampleA[l][m] = replicate(loraA[l][m], batchSize);
        }
        perExampleB[l][m] = replicate(loraB[l][m], batchSize);
      }
    }
  }

  private static NDArray replicate(NDArray a, int batch) {
    NDArray r = a.expandDims(0).repeat(0, batch).duplicate();
    r.setRequiresGradient(true);
    return r;
  }

  @Override
  public Map<String, NDArray> perExampleGradients() {
    Map<String, NDArray> g = new LinkedHashMap<>();
    for (AdapterTensor t : tensors()) {
      if (!t.trainable()) {
        continue;
      }
      String module = t.name().substring(0, t.name().lastIndexOf('.'));
      int[] lm = slotOf(module);
      NDArray rep =
          t.name().endsWith(".lora_A") ? perExampleA[lm[0]][lm[1]] : perExampleB[lm[0]][lm[1]];
      g.put(t.name(), rep.getGradient());
    }
    return g;
  }

  private static int[] slotOf(String module) {
    String[] parts = module.split("\\.", 4); // encoder.layer.L.<path>
    return new int[] {
      Integer.parseInt(parts[2]), org.fedpeft.model.BertWeights.LINEAR_MODULES.indexOf(parts[3])
    };
  }

  @Override
  public void endPerExample() {
    perExampleA = null;
    perExampleB = null;
  }

  /**
   * The weight change (alpha / r) B A of one module, (out, in), over the round's rank k when one is
   * set ((alpha / r) B[:, :k] A[:k, :]); null if not targeted.
   */
  public NDArray deltaWeight(int layer, int module) {
    NDArray a = loraA[layer][module];
    if (a == null) {
      return null;
    }
    NDArray b = loraB[layer][module];
    if (activeRank < config.rank()) {
      a = a.get(rowsOfA);
      b = b.get(colsOfB);
    }
    return b.matMul(a).mul(config.scaling());
  }

  // ---- A rank per round ----

  /**
   * Reads the round's rank ({@value #RANK_KEY}; r when absent) and self-pruning decay ({@value
   * #PRUNE_KEY}; none when absent), and for self-pruning records the norm of the prunable tail of
   * the received factors.
   *
   * @throws IllegalArgumentException if the rank is not an integer in [1, r] or gamma is not in (0,
   *     1)
   */
  @Override
  public void beginRound(RoundSpec spec) {
    int r = config.rank();
    String k = spec.config().get(RANK_KEY);
    rankFromRound = k != null;
    if (k == null) {
      activeRank = r;
    } else {
      try {
        activeRank = Integer.parseInt(k.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "round " + spec.round() + ": config " + RANK_KEY + " = \"" + k + "\" is not an integer",
            e);
      }
      if (activeRank < 1 || activeRank > r) {
        throw new IllegalArgumentException(
            "round "
                + spec.round()
                + ": config "
                + RANK_KEY
                + " = "
                + activeRank
                + " is not in [1, "
                + r
                + "] (the adapter's rank)");
      }
    }
    rowsOfA = new NDIndex(":" + activeRank);
    colsOfB = new NDIndex(":, :" + activeRank);
    rowsOfReplicaA = new NDIndex(":, :" + activeRank);
    colsOfReplicaB = new NDIndex(":, :, :" + activeRank);
    pruneGamma = spec.configDouble(PRUNE_KEY, 0);
    if (spec.config().containsKey(PRUNE_KEY) && !(pruneGamma > 0 && pruneGamma < 1)) {
      throw new IllegalArgumentException(
          "round "
              + spec.round()
              + ": config "
              + PRUNE_KEY
              + " = "
              + pruneGamma
              + " is not in (0, 1)");
    }
    sentRank = -1;
    int p = prunedRank(activeRank, pruneGamma);
    tailAtStart = pruneGamma > 0 && p < activeRank ? tailNormSquared(p, activeRank) : 0;
  }

  /**
   * The rank a client of rank k keeps when it self-prunes with decay gamma: max(1, min(k - 1,
   * floor(gamma k))); k itself when gamma is 0 or k is 1. HetLoRA (Cho et al. 2024) lets each
   * client shrink its rank to floor(gamma k) when the last components carry little; fedpeft's rule
   * for "little" is in {@link #uplink}.
   */
  public static int prunedRank(int k, double gamma) {
    if (!(gamma > 0) || k <= 1) {
      return k;
    }
    return Math.max(1, Math.min(k - 1, (int) Math.floor(gamma * k)));
  }

  /** Sum over the adapted modules of {@code ||B[:, from:to] A[from:to, :]||_F^2}. */
  private double tailNormSquared(int from, int to) {
    double s = 0;
    for (int l = 0; l < loraA.length; l++) {
      for (int m = 0; m < loraA[l].length; m++) {
        if (loraA[l][m] == null) {
          continue;
        }
        Shape sh = loraB[l][m].getShape();
        int out = Math.toIntExact(sh.get(0));
        int in = Math.toIntExact(loraA[l][m].getShape().get(1));
        s +=
            LowRank.productNormSquared(
                loraB[l][m].toFloatArray(),
                loraA[l][m].toFloatArray(),
                out,
                config.rank(),
                in,
                from,
                to);
      }
    }
    return s;
  }

  /**
   * The trained GLOBAL factors. Without a round rank, as the default uplink sends them. With round
   * rank k, {@code A[:k', :]} and {@code B[:, :k']} with k' = k, or with self-pruning k' = {@link
   * #prunedRank}(k, gamma) when the prunable tail {@code B[:, k':k] A[k':k, :]} ended the round
   * with a smaller Frobenius norm (summed in square over the modules) than it started with: local
   * training shrank it. (HetLoRA also adds a penalty on that norm to the local loss; fedpeft's
   * local loss is the task loss alone.)
   */
  @Override
  public Map<String, HostTensor> uplink(Set<String> trained) {
    if (!rankFromRound) {
      return super.uplink(trained);
    }
    int k = activeRank;
    int p = prunedRank(activeRank, pruneGamma);
    if (pruneGamma > 0 && p < activeRank && tailNormSquared(p, activeRank) < tailAtStart) {
      k = p;
    }
    sentRank = k;
    int r = config.rank();
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (AdapterTensor t : tensors()) {
      if (t.role() != Role.GLOBAL || !trained.contains(t.name())) {
        continue;
      }
      long[] shape = t.array().getShape().getShape();
      float[] v = t.array().toFloatArray();
      if (t.name().endsWith(".lora_A")) { // (r, in) -> (k, in)
        int in = (int) shape[1];
        out.put(t.name(), new HostTensor(new long[] {k, in}, java.util.Arrays.copyOf(v, k * in)));
      } else { // lora_B (out, r) -> (out, k)
        int rows = (int) shape[0];
        float[] cut = new float[rows * k];
        for (int o = 0; o < rows; o++) {
          System.arraycopy(v, o * r, cut, o * k, k);
        }
        out.put(t.name(), new HostTensor(new long[] {rows, k}, cut));
      }
    }
    return out;
  }

  /**
   * With a round rank, {@code lora_rank}: the rank of the factors the uplink sent (the round's
   * rank, or the pruned one); nothing otherwise.
   */
  @Override
  public Map<String, Double> roundMetrics() {
    if (!rankFromRound) {
      return Map.of();
    }
    return Map.of("lora_rank", (double) (sentRank >= 0 ? sentRank : activeRank));
  }

  @Override
  public void merge(BertEncoder encoder) {
    if (merged) {
      throw new IllegalStateException("lora adapter is already merged");
    }
    applyToWeights(encoder, 1);
    merged = true;
  }

  @Override
  public void unmerge(BertEncoder encoder) {
    if (!merged) {
      throw new IllegalStateException("lora adapter is not merged");
    }
    applyToWeights(encoder, -1);
    merged = false;
  }

  private void applyToWeights(BertEncoder encoder, int sign) {
    encoder.requireFloat32Weights(sign > 0 ? "merging a LoRA adapter" : "unmerging a LoRA adapter");
    for (int l = 0; l < loraA.length; l++) {
      for (int m = 0; m < loraA[l].length; m++) {
        if (loraA[l][m] == null) {
          continue;
        }
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          NDArray d = deltaWeight(l, m);
          NDArray w = encoder.linearWeight(l, m);
          if (sign > 0) {
            w.addi(d);
          } else {
            w.subi(d);
          }
        }
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
