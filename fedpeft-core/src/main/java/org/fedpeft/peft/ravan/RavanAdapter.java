package org.fedpeft.peft.ravan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.config.OptionException;
import org.fedpeft.io.RunFolder;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.SafetensorsFormatException;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.LowRankDelta;
import org.fedpeft.peft.AbstractAdapter;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Dropout;
import org.fedpeft.peft.GradientProbe;
import org.fedpeft.peft.Role;
import org.fedpeft.peft.RoundSpec;
import org.fedpeft.peft.TargetModules;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.random.Seeds;
import org.fedpeft.tensor.HostTensor;

/**
 * Ravan on the target linear modules of a BERT encoder: {@code y = W x + sum_i s_i B_i H_i A_i
 * dropout(x)} with h heads of rank r.
 *
 * <p>Tensors per target module ({@code <module>} is its Hugging Face name):
 *
 * <ul>
 *   <li>{@code <module>.ravan_A} (h r x d_in), the A_i stacked by rows, and {@code
 *       <module>.ravan_B} (d_out x h r), the B_i stacked by columns: FROZEN_SHARED, drawn from the
 *       seed ({@link RavanConfig.Init}), or read from the file of option {@code factors};
 *   <li>{@code <module>.ravan_H.<i>} (r x r): GLOBAL, zero at init, so the adapted model equals the
 *       base model exactly;
 *   <li>{@code <module>.ravan_s.<i>} (1): ROUND, 1 at the start of every round (absent when the
 *       config has no scales, as for Fed-SB).
 * </ul>
 *
 * <p>The forward pass is one low-rank product per module: {@code B M A x} with M the block-diagonal
 * (h r x h r) matrix of the s_i H_i, never h separate products. When the module's output is no
 * wider than the number of tokens, {@code B M} is formed first (d_out h r (h r) multiply-adds),
 * otherwise {@code M} is applied to the rank-h r activations.
 *
 * <p>The round: {@link #trainableThisRound} picks round(budget * h) heads (at least 1) by the
 * configured {@link RavanConfig.HeadSelection}, the budget being the per-client config key {@value
 * #BUDGET_KEY} (1 when absent); the same head indices are trained in every target module. {@link
 * #uplink} sends {@code s_i H_i} under the name of {@code H_i} for the trained heads only, so
 * averaging each tensor over the clients that sent it (FedAvg with uniform weighting) is the
 * per-head mean of Ravan, and a head nobody trained keeps its value. {@link #roundMetrics} reports
 * how many heads were trained and which (a bit mask, bit i for head i).
 */
public final class RavanAdapter extends AbstractAdapter {

  /**
   * The per-client config key of the compute budget, the strategy's {@code
   * org.fedpeft.federation.ConfigKeys.BUDGET} (named here so that peft does not depend on
   * federation, which depends on it).
   */
  public static final String BUDGET_KEY = "budget";

  /** Factors derived from a seed, kept because orthonormalising large ones costs seconds. */
  private static final Map<String, float[][]> FACTOR_CACHE =
      Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, float[][]> e) {
              return size() > 64;
            }
          });

  /** Factors files read, by path, size and modification time. */
  private static final Map<String, Map<String, HostTensor>> FILE_CACHE =
      Collections.synchronizedMap(
          new LinkedHashMap<>(4, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<String, HostTensor>> e) {
              return size() > 2;
            }
          });

  /** One adapted module. */
  private static final class Slot {
    final TargetModules.Slot where;
    final NDArray a; // (h r, in)
    final NDArray b; // (out, h r)
    final NDArray[] h; // (r, r) each
    final NDArray[] s; // (1) each, or null

    Slot(TargetModules.Slot where, NDArray a, NDArray b, NDArray[] h, NDArray[] s) {
      this.where = where;
      this.a = a;
      this.b = b;
      this.h = h;
      this.s = s;
    }
  }

  private final RavanConfig config;
  private final NDManager manager;
  private final Slot[][] slots;
  private final List<Slot> slotList = new ArrayList<>();
  private final NDArray blockMask; // (h, 1, h, 1): 1 on the diagonal, null for one head
  private final int firstLayer;
  private boolean merged;
  private int[] selected; // heads chosen this round, ascending; null before trainableThisRound

  /**
   * @throws IllegalArgumentException if the rank is more than min(out, in) of a target module (any
   *     init), if init = gram-schmidt (or shared) asks for more orthonormal directions than a
   *     target module has, or if a module's frozen factors (heads * rank x d) would not fit in one
   *     Java array; each before anything is allocated
   */
  public RavanAdapter(RavanConfig config, BertEncoder encoder, long seed) {
    super(config.method());
    requireSizesFit(config, encoder);
    this.config = config;
    BertConfig bc = encoder.config();
    this.manager = encoder.manager().newSubManager();
    int heads = config.heads();
    int r = config.rank();
    int hr = heads * r;
    slots = new Slot[bc.numLayers()][org.fedpeft.model.BertWeights.LINEAR_MODULES.size()];
    int lowest = Integer.MAX_VALUE;
    for (TargetModules.Slot where : TargetModules.select(bc, config.targetModules())) {
      lowest = Math.min(lowest, where.layer());
      Shape w = encoder.linearShape(where.layer(), where.module()); // (out, in)
      int out = Math.toIntExact(w.get(0));
      int in = Math.toIntExact(w.get(1));
      float[][] ab = factors(config, seed, where.name(), out, in);
      NDArray a = manager.create(ab[0], new Shape(hr, in));
      NDArray b = manager.create(ab[1], new Shape(out, hr));
      addTensor(new AdapterTensor(where.name() + ".ravan_A", Role.FROZEN_SHARED, a));
      addTensor(new AdapterTensor(where.name() + ".ravan_B", Role.FROZEN_SHARED, b));
      NDArray[] h = new NDArray[heads];
      NDArray[] s = config.scales() ? new NDArray[heads] : null;
      for (int i = 0; i < heads; i++) {
        h[i] = manager.zeros(new Shape(r, r));
        h[i].setRequiresGradient(true);
        addTensor(new AdapterTensor(coreName(where.name(), i), Role.GLOBAL, h[i]));
      }
      if (s != null) {
        for (int i = 0; i < heads; i++) {
          s[i] = manager.ones(new Shape(1));
          s[i].setRequiresGradient(true);
          addTensor(new AdapterTensor(scaleName(where.name(), i), Role.ROUND, s[i]));
        }
      }
      Slot slot = new Slot(where, a, b, h, s);
      slots[where.layer()][where.module()] = slot;
      slotList.add(slot);
    }
    this.firstLayer = lowest;
    if (heads > 1) {
      float[] eye = new float[heads * heads];
      for (int i = 0; i < heads; i++) {
        eye[i * heads + i] = 1f;
      }
      blockMask = manager.create(eye, new Shape(heads, 1, heads, 1));
    } else {
      blockMask = null;
    }
  }

  /** The name of head {@code i}'s core in a module: {@code <module>.ravan_H.<i>}. */
  public static String coreName(String module, int i) {
    return module + ".ravan_H." + i;
  }

  /** The name of head {@code i}'s scale in a module: {@code <module>.ravan_s.<i>}. */
  public static String scaleName(String module, int i) {
    return module + ".ravan_s." + i;
  }

  public RavanConfig config() {
    return config;
  }

  @Override
  public Map<String, String> options() {
    return config.toOptions();
  }

  /**
   * True: the hooks read the factors, the heads chosen this round and the merged flag, which change
   * only between steps, and build each batch's core from the leaves anew.
   */
  @Override
  public boolean concurrentBatches() {
    return true;
  }

  @Override
  public int firstAdaptedLayer() {
    return firstLayer;
  }

  /** The Hugging Face names of the adapted modules, in (layer, module) order. */
  public List<String> modules() {
    return slotList.stream().map(s -> s.where.name()).toList();
  }

  @Override
  public boolean changesLinear(int layer, int module) {
    return slots[layer][module] != null;
  }

  @Override
  public LowRankDelta linearLowRank(int layer, int module, NDArray input, HookContext ctx) {
    Slot slot = active(layer, module);
    if (slot == null) {
      return null;
    }
    NDArray down = down(slot, input, ctx); // (.., hr)
    return new LowRankDelta(down, slot.b.matMul(core(slot)).transpose()); // up: (hr, out)
  }

  @Override
  public NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
    Slot slot = active(layer, module);
    if (slot == null) {
      return null;
    }
    NDArray down = down(slot, input, ctx); // (.., hr)
    NDArray core = core(slot); // (hr, hr)
    long out = slot.b.getShape().get(0);
    long tokens = down.size() / down.getShape().get(down.getShape().dimension() - 1);
    if (out <= tokens) {
      NDArray bm = slot.b.matMul(core); // (out, hr)
      return down.getNDArrayInternal().linear(down, bm, null).singletonOrThrow();
    }
    NDArray mid = down.getNDArrayInternal().linear(down, core, null).singletonOrThrow();
    return mid.getNDArrayInternal().linear(mid, slot.b, null).singletonOrThrow();
  }

  /** The slot of a module this adapter changes now, or null. */
  private Slot active(int layer, int module) {
    Slot slot = slots[layer][module];
    return slot == null || !isEnabled() || merged ? null : slot;
  }

  /** The input (after dropout when training) times the stacked A_i^T: (.., h r). */
  private NDArray down(Slot slot, NDArray input, HookContext ctx) {
    NDArray x = input;
    if (ctx.isTraining() && config.dropout() > 0) {
      x = Dropout.apply(x, config.dropout());
    }
    return x.getNDArrayInternal().linear(x, slot.a, null).singletonOrThrow();
  }

  /** The block-diagonal matrix of the s_i H_i, (h r, h r). */
  private NDArray core(Slot slot) {
    int heads = config.heads();
    if (heads == 1) {
      return slot.s == null ? slot.h[0] : slot.h[0].mul(slot.s[0]);
    }
    NDArray stacked = NDArrays.stack(new NDList(slot.h)); // (h, r, r)
    if (slot.s != null) {
      stacked = stacked.mul(NDArrays.stack(new NDList(slot.s)).reshape(heads, 1, 1));
    }
    int hr = heads * config.rank();
    return stacked.expandDims(2).mul(blockMask).reshape(hr, hr);
  }

  /**
   * The weight change {@code sum_i s_i B_i H_i A_i} of one module, (out, in), in the adapter's
   * manager (the caller closes it); null if the module is not adapted.
   */
  public NDArray deltaWeight(int layer, int module) {
    Slot slot = slots[layer][module];
    if (slot == null) {
      return null;
    }
    return slot.b.matMul(core(slot)).matMul(slot.a);
  }

  /**
   * The adapter as one LoRA of rank h r per module, keyed by module name: {@code [0]} is A' (h r x
   * in) = the stacked A_i, {@code [1]} is B' (out x h r) = [s_1 B_1 H_1 ... s_h B_h H_h]; B' A'
   * equals {@link #deltaWeight} and the LoRA scaling is 1.
   */
  public Map<String, HostTensor[]> asLora() {
    Map<String, HostTensor[]> out = new LinkedHashMap<>();
    for (Slot slot : slotList) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        out.put(
            slot.where.name(),
            new HostTensor[] {
              Adapter.Tensors.toHost(slot.a), Adapter.Tensors.toHost(slot.b.matMul(core(slot)))
            });
      }
    }
    return out;
  }

  @Override
  public void merge(BertEncoder encoder) {
    if (merged) {
      throw new IllegalStateException(config.method() + " adapter is already merged");
    }
    applyToWeights(encoder, 1);
    merged = true;
  }

  @Override
  public void unmerge(BertEncoder encoder) {
    if (!merged) {
      throw new IllegalStateException(config.method() + " adapter is not merged");
    }
    applyToWeights(encoder, -1);
    merged = false;
  }

  private void applyToWeights(BertEncoder encoder, int sign) {
    encoder.requireFloat32Weights(
        (sign > 0 ? "merging a " : "unmerging a ") + config.method() + " adapter");
    for (Slot slot : slotList) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray d = deltaWeight(slot.where.layer(), slot.where.module());
        NDArray w = encoder.linearWeight(slot.where.layer(), slot.where.module());
        if (sign > 0) {
          w.addi(d);
        } else {
          w.subi(d);
        }
      }
    }
  }

  // ---- The round ----

  @Override
  public void beginRound(RoundSpec spec) {
    selected = null;
    for (Slot slot : slotList) {
      if (slot.s != null) {
        for (NDArray s : slot.s) {
          Adapter.Tensors.assign(s, new float[] {1f});
        }
      }
    }
  }

  /**
   * The cores and scales of round(budget * h) heads (at least 1), chosen by the configured head
   * selection; ties, and every choice under {@code random}, are broken by a permutation drawn from
   * the round's seed. With a budget of 1 every head is trained and nothing is scored or probed.
   *
   * @throws IllegalArgumentException if the budget is not a number in (0, 1]
   */
  @Override
  public Set<String> trainableThisRound(RoundSpec spec, GradientProbe probe) {
    int heads = config.heads();
    int n = config.headsForBudget(spec.configDouble(BUDGET_KEY, 1.0));
    int[] order = new SeededRandom(Seeds.derive(spec.seed(), "ravan-heads")).permutation(heads);
    int[] chosen;
    if (n == heads) {
      chosen = order;
    } else if (config.headSelection() == RavanConfig.HeadSelection.RANDOM) {
      chosen = Arrays.copyOf(order, n);
    } else {
      double[] score =
          config.headSelection() == RavanConfig.HeadSelection.WEIGHT
              ? weightScores()
              : gradientScores(probe);
      int[] rank = new int[heads];
      for (int k = 0; k < heads; k++) {
        rank[order[k]] = k;
      }
      chosen =
          java.util.stream.IntStream.range(0, heads)
              .boxed()
              .sorted(
                  (i, j) ->
                      score[i] != score[j]
                          ? Double.compare(score[j], score[i])
                          : Integer.compare(rank[i], rank[j]))
              .limit(n)
              .mapToInt(Integer::intValue)
              .toArray();
    }
    selected = chosen.clone();
    Arrays.sort(selected);
    Set<String> names = new LinkedHashSet<>();
    for (Slot slot : slotList) {
      for (int i : selected) {
        names.add(coreName(slot.where.name(), i));
        if (slot.s != null) {
          names.add(scaleName(slot.where.name(), i));
        }
      }
    }
    return names;
  }

  /** Per head, the sum over modules of ||s_i H_i||_F^2. */
  private double[] weightScores() {
    double[] score = new double[config.heads()];
    for (Slot slot : slotList) {
      for (int i = 0; i < score.length; i++) {
        double s = slot.s == null ? 1 : slot.s[i].toFloatArray()[0];
        double sq = 0;
        for (float v : slot.h[i].toFloatArray()) {
          sq += (double) v * v;
        }
        score[i] += s * s * sq;
      }
    }
    return score;
  }

  /** Per head, the sum over modules of the squared gradient norm of H_i. */
  private double[] gradientScores(GradientProbe probe) {
    Set<String> names = new LinkedHashSet<>();
    for (Slot slot : slotList) {
      for (int i = 0; i < config.heads(); i++) {
        names.add(coreName(slot.where.name(), i));
      }
    }
    Map<String, Double> norms = probe.gradientNorms(names);
    double[] score = new double[config.heads()];
    for (Slot slot : slotList) {
      for (int i = 0; i < score.length; i++) {
        double g = norms.get(coreName(slot.where.name(), i));
        score[i] += g * g;
      }
    }
    return score;
  }

  /**
   * Sets every H_i to s_i H_i and every s_i to 1, which leaves the adapted model unchanged: the
   * form in which the adapter is saved (ROUND tensors are not) and sent.
   */
  public void foldScales() {
    for (Slot slot : slotList) {
      if (slot.s == null) {
        continue;
      }
      for (int i = 0; i < config.heads(); i++) {
        float s = slot.s[i].toFloatArray()[0];
        float[] h = slot.h[i].toFloatArray();
        for (int k = 0; k < h.length; k++) {
          h[k] *= s;
        }
        Adapter.Tensors.assign(slot.h[i], h);
        Adapter.Tensors.assign(slot.s[i], new float[] {1f});
      }
    }
  }

  /** Folds the scales into the cores ({@link #foldScales}): ROUND tensors are not saved. */
  @Override
  public void prepareToSave() {
    foldScales();
  }

  /** Writes the adapter as one PEFT LoRA of rank h r per module ({@link RavanExport}). */
  @Override
  public void writePeftFiles(Path dir, String baseModel, JsonObject fedpeft) throws IOException {
    RavanExport.write(dir, this, baseModel, fedpeft);
  }

  /** {@code s_i H_i} under the name of {@code H_i}, for each trained core. */
  @Override
  public Map<String, HostTensor> uplink(Set<String> trained) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Slot slot : slotList) {
      for (int i = 0; i < config.heads(); i++) {
        String name = coreName(slot.where.name(), i);
        if (!trained.contains(name)) {
          continue;
        }
        float[] h = slot.h[i].toFloatArray();
        if (slot.s != null) {
          float s = slot.s[i].toFloatArray()[0];
          for (int k = 0; k < h.length; k++) {
            h[k] *= s;
          }
        }
        out.put(name, new HostTensor(slot.h[i].getShape().getShape(), h));
      }
    }
    return out;
  }

  /**
   * {@code heads_trained} (how many heads this round) and, for at most 52 heads, {@code heads_mask}
   * (the sum of 2^i over the trained heads i); empty before {@link #trainableThisRound}.
   */
  @Override
  public Map<String, Double> roundMetrics() {
    if (selected == null) {
      return Map.of();
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("heads_trained", (double) selected.length);
    if (config.heads() <= 52) {
      long mask = 0;
      for (int i : selected) {
        mask |= 1L << i;
      }
      m.put("heads_mask", (double) mask);
    }
    return m;
  }

  @Override
  public void close() {
    manager.close();
  }

  // ---- Frozen factors ----

  /**
   * A (h r x in) and B (out x h r), row-major: read from the factors file when the config names
   * one, else derived from the seed and the module's name only; either way every machine gets the
   * same ones.
   */
  static float[][] factors(RavanConfig c, long seed, String module, int out, int in) {
    if (!c.factorsFile().isEmpty()) {
      return fileFactors(c, module, out, in);
    }
    String key =
        seed + "|" + module + "|" + c.init() + "|" + c.heads() + "|" + c.rank() + "|" + c.sigma()
            + "|" + out + "|" + in;
    float[][] cached = FACTOR_CACHE.get(key);
    if (cached != null) {
      return new float[][] {cached[0].clone(), cached[1].clone()};
    }
    int heads = c.heads();
    int r = c.rank();
    int hr = heads * r;
    SeededRandom rng = new SeededRandom(Seeds.derive(seed, "ravan-factors:" + module));
    float[] a = new float[hr * in];
    float[] b = new float[out * hr];
    switch (c.init()) {
      case NORMAL -> {
        double sa = c.sigma() > 0 ? c.sigma() : 1 / Math.sqrt(in);
        double sb = c.sigma() > 0 ? c.sigma() : 1 / Math.sqrt(out);
        for (int k = 0; k < a.length; k++) {
          a[k] = (float) (rng.nextGaussian() * sa);
        }
        for (int k = 0; k < b.length; k++) {
          b[k] = (float) (rng.nextGaussian() * sb);
        }
      }
      case GRAM_SCHMIDT -> {
        require(c, hr, out, in, module);
        double[][] bc = orthonormal(rng, hr, out); // hr columns of length out
        double[][] ar = orthonormal(rng, hr, in); // hr rows of length in
        for (int j = 0; j < hr; j++) {
          for (int k = 0; k < in; k++) {
            a[j * in + k] = (float) ar[j][k];
          }
          for (int k = 0; k < out; k++) {
            b[k * hr + j] = (float) bc[j][k];
          }
        }
      }
      case SHARED -> {
        require(c, r, out, in, module);
        double[][] bc = orthonormal(rng, r, out);
        double[][] ar = orthonormal(rng, r, in);
        for (int i = 0; i < heads; i++) {
          for (int j = 0; j < r; j++) {
            int col = i * r + j;
            for (int k = 0; k < in; k++) {
              a[col * in + k] = (float) ar[j][k];
            }
            for (int k = 0; k < out; k++) {
              b[k * hr + col] = (float) bc[j][k];
            }
          }
        }
      }
      default -> throw new IllegalStateException("unknown init " + c.init());
    }
    FACTOR_CACHE.put(key, new float[][] {a.clone(), b.clone()});
    return new float[][] {a, b};
  }

  /**
   * A and B of {@code module} from the config's factors file ({@link #factorsFileTensors}).
   *
   * @throws IllegalArgumentException naming the file and the tensor if the file cannot be read, or
   *     a tensor is missing or has the wrong shape
   */
  private static float[][] fileFactors(RavanConfig c, String module, int out, int in) {
    Map<String, HostTensor> all = factorsFileTensors(c);
    String where = " = " + Path.of(c.factorsFile()); // what follows the option's name
    int hr = c.heads() * c.rank();
    float[] a = tensor(all, module + ".ravan_A", new long[] {hr, in}, c.method(), where);
    float[] b = tensor(all, module + ".ravan_B", new long[] {out, hr}, c.method(), where);
    return new float[][] {a, b};
  }

  /**
   * Reads the config's factors file if it names one ({@link #factorsFileTensors}): the check of the
   * file that Ravan's and Fed-SB's validate make before the model loads, with create's message.
   *
   * @throws OptionException naming the option {@code factors} and the file if the file cannot be
   *     read or is not a safetensors file
   */
  static void checkFactorsFile(RavanConfig c) {
    if (!c.factorsFile().isEmpty()) {
      factorsFileTensors(c);
    }
  }

  /**
   * Every tensor of the config's non-empty factors file, as float32 (cached by path, size and
   * modification time): the check of the file that needs no model, which {@link
   * org.fedpeft.peft.AdapterMethod#validate} makes and create repeats before it takes each target
   * module's factors from the tensors.
   *
   * @throws OptionException naming the option {@code factors} and the file if the file cannot be
   *     read or is not a safetensors file
   */
  static Map<String, HostTensor> factorsFileTensors(RavanConfig c) {
    Path path = Path.of(c.factorsFile());
    String where = " = " + path; // what follows the option's name (OptionException)
    Map<String, HostTensor> all;
    try {
      String key =
          "file|"
              + path.toAbsolutePath()
              + "|"
              + Files.size(path)
              + "|"
              + Files.getLastModifiedTime(path).toMillis();
      all = FILE_CACHE.get(key);
      if (all == null) {
        all = Safetensors.readFloatTensors(path);
        FILE_CACHE.put(key, all);
      }
    } catch (IOException | RuntimeException e) {
      throw new OptionException(
          c.method(), "factors", where + ": cannot read it (" + whyUnreadable(e) + ")", e);
    }
    return all;
  }

  /**
   * Why the factors file could not be read, without its path, which the message names already: "no
   * such file or folder" or "permission denied" for the exceptions the JDK names by their class
   * alone ({@link RunFolder#kindWords}; their message is the bare path), a safetensors file's
   * problem, else the exception's message.
   */
  private static String whyUnreadable(Exception e) {
    if (e instanceof FileSystemException f && f.getReason() == null) {
      String words = RunFolder.kindWords(f);
      if (words != null) {
        return words;
      }
    }
    if (e instanceof SafetensorsFormatException f) {
      return f.problem();
    }
    return e.getMessage();
  }

  private static float[] tensor(
      Map<String, HostTensor> all, String name, long[] shape, String method, String where) {
    HostTensor t = all.get(name);
    if (t == null) {
      throw new OptionException(method, "factors", where + ": has no tensor " + name);
    }
    if (!Arrays.equals(t.shape(), shape)) {
      throw new OptionException(
          method,
          "factors",
          where
              + ": "
              + name
              + " is "
              + Arrays.toString(t.shape())
              + ", expected "
              + Arrays.toString(shape)
              + " (heads * rank along the factor's inner side)");
    }
    return t.data().clone();
  }

  /**
   * Refuses, before anything is allocated, sizes no target module can take: a rank above min(out,
   * in), under every init (a head's update B_i H_i A_i, Fed-SB's B R A, has rank at most that, so a
   * larger r only costs memory; init = normal drew r = 100000 until memory ran out), heads * rank
   * above it under init = gram-schmidt, and frozen factors of more than {@link Integer#MAX_VALUE}
   * entries (they are drawn into one Java array; many heads under init = normal or a factors file).
   */
  static void requireSizesFit(RavanConfig c, BertEncoder encoder) {
    String update =
        c.method().equals(FedSbMethod.NAME) ? "the update B R A" : "a head's update B_i H_i A_i";
    TargetModules.requireRankFits(c.method(), c.rank(), c.targetModules(), encoder, update);
    for (TargetModules.Slot where : TargetModules.select(encoder.config(), c.targetModules())) {
      Shape w = encoder.linearShape(where.layer(), where.module()); // (out, in)
      long out = w.get(0);
      long in = w.get(1);
      long hr = (long) c.heads() * c.rank();
      if (c.init() == RavanConfig.Init.GRAM_SCHMIDT && c.factorsFile().isEmpty()) {
        require(c, hr, out, in, where.name());
      }
      if (hr * Math.max(out, in) > Integer.MAX_VALUE) {
        // Named as the option rank (with the heads it multiplies), so that simulate and train
        // name it as their user wrote it (OptionException.messageFor).
        throw new org.fedpeft.config.OptionException(
            c.method(),
            "rank",
            " = "
                + c.rank()
                + " with heads = "
                + c.heads()
                + ": heads * rank = "
                + hr
                + " is too large for "
                + where.name()
                + " ("
                + out
                + " x "
                + in
                + "): its frozen factors would hold more than "
                + Integer.MAX_VALUE
                + " entries each; give heads * rank <= "
                + Integer.MAX_VALUE / Math.max(out, in));
      }
    }
  }

  /**
   * Refuses more orthonormal directions than the module has, naming the option {@code rank} (with
   * the heads it multiplies, unless init = shared, which draws rank directions once), so that
   * simulate and train name it as their user wrote it ({@link
   * org.fedpeft.config.OptionException#messageFor}).
   */
  private static void require(RavanConfig c, long directions, long out, long in, String module) {
    if (directions > Math.min(out, in)) {
      boolean shared = c.init() == RavanConfig.Init.SHARED;
      throw new org.fedpeft.config.OptionException(
          c.method(),
          "rank",
          " = "
              + c.rank()
              + (shared ? "" : " with heads = " + c.heads())
              + " is too large for init = "
              + c.init().optionValue()
              + ": it needs "
              + (shared ? "rank" : "heads * rank")
              + " = "
              + directions
              + " orthonormal directions, but "
              + module
              + " is "
              + out
              + " x "
              + in
              + "; lower "
              + (shared ? "rank" : "heads or rank")
              + ", or use init = normal");
    }
  }

  /**
   * {@code count} orthonormal vectors of length {@code dim}: normal draws orthonormalised by
   * modified Gram-Schmidt, each vector projected out twice ("twice is enough") in double precision.
   */
  static double[][] orthonormal(SeededRandom rng, int count, int dim) {
    double[][] v = new double[count][dim];
    for (int j = 0; j < count; j++) {
      for (int k = 0; k < dim; k++) {
        v[j][k] = rng.nextGaussian();
      }
    }
    for (int j = 0; j < count; j++) {
      double[] x = v[j];
      for (int pass = 0; pass < 2; pass++) {
        for (int p = 0; p < j; p++) {
          double[] q = v[p];
          double dot = 0;
          for (int k = 0; k < dim; k++) {
            dot += q[k] * x[k];
          }
          for (int k = 0; k < dim; k++) {
            x[k] -= dot * q[k];
          }
        }
      }
      double norm = 0;
      for (double e : x) {
        norm += e * e;
      }
      norm = Math.sqrt(norm);
      if (!(norm > 1e-10)) {
        throw new IllegalStateException("Gram-Schmidt: draw " + j + " is linearly dependent");
      }
      for (int k = 0; k < dim; k++) {
        x[k] /= norm;
      }
    }
    return v;
  }
}
