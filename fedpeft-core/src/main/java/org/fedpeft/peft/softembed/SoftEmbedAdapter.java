package org.fedpeft.peft.softembed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.config.OptionException;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.HookContext;
import org.fedpeft.peft.AbstractAdapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.PerExampleGradients;
import org.fedpeft.peft.Role;

/**
 * A trainable residual map on each token's embedding vector e (hidden size d), the same map at
 * every position:
 *
 * <ul>
 *   <li>{@code linear}: e' = e + U e; tensor {@code soft_embed.U} (d x d), zero at init;
 *   <li>{@code lowrank}: e' = e + P (Q e); {@code soft_embed.P} (d x k), zero at init, and {@code
 *       soft_embed.Q} (k x d), uniform in +-1/sqrt(d) from the seed;
 *   <li>{@code mlp}: e' = e + W2 gelu(W1 e + b1) + b2; {@code soft_embed.down.weight} W1 (k x d),
 *       uniform in +-1/sqrt(d) from the seed, {@code soft_embed.down.bias} b1 (k), {@code
 *       soft_embed.up.weight} W2 (d x k) and {@code soft_embed.up.bias} b2 (d), all zero at init.
 * </ul>
 *
 * <p>The term added to e is exactly zero at init, so the adapted model equals the base model to the
 * bit. Every tensor is GLOBAL. With placement {@code tokens} the map acts through {@link
 * #tokenEmbeddings} on the raw word embeddings (before position and type embeddings and the
 * embedding LayerNorm); with {@code embeddings} through {@link #afterEmbeddings}. Either way every
 * block is adapted ({@link #firstAdaptedLayer} is 0), so a backward pass runs through the whole
 * encoder. The adapter cannot be merged into the encoder's weights.
 *
 * <p>For DP-SGD it computes per-example gradients in one batched pass ({@link
 * PerExampleGradients}): each tensor is replaced by one replica per example and the products become
 * batched matrix products.
 */
public final class SoftEmbedAdapter extends AbstractAdapter implements PerExampleGradients {

  private final SoftEmbedConfig config;
  private final NDManager manager;
  private Map<String, NDArray> perExample; // name -> (batch, ...) leaf replicas, or null

  /**
   * Creates the adapter's tensors in a sub-manager of the encoder's, seeded random parts from
   * {@code seed}.
   *
   * @throws IllegalArgumentException if option {@code rank} is more than the hidden size d with
   *     form lowrank, or more than a Java array of k x d holds with form mlp (before anything is
   *     allocated)
   */
  public SoftEmbedAdapter(SoftEmbedConfig config, BertEncoder encoder, long seed) {
    super("softembed");
    int d = encoder.config().hiddenSize();
    requireRankFits(config, d);
    this.config = config;
    this.manager = encoder.manager().newSubManager();
    int k = config.rank();
    SplittableRandom rng = new SplittableRandom(seed);
    switch (config.form()) {
      case "linear" -> add("soft_embed.U", manager.zeros(new Shape(d, d)));
      case "lowrank" -> {
        add("soft_embed.P", manager.zeros(new Shape(d, k)));
        add("soft_embed.Q", uniform(rng, k, d));
      }
      case "mlp" -> {
        add("soft_embed.down.weight", uniform(rng, k, d));
        add("soft_embed.down.bias", manager.zeros(new Shape(k)));
        add("soft_embed.up.weight", manager.zeros(new Shape(d, k)));
        add("soft_embed.up.bias", manager.zeros(new Shape(d)));
      }
      default -> throw new IllegalArgumentException("softembed: unknown form " + config.form());
    }
  }

  /**
   * Refuses a rank the model cannot use: with form lowrank, U = P Q (d x d) has rank at most the
   * hidden size d, so a larger k only costs memory (rank = 100000 ran out of it); with form mlp the
   * bottleneck may be wider than d, but its seeded k x d weight is drawn into one Java array.
   */
  static void requireRankFits(SoftEmbedConfig config, int d) {
    int k = config.rank();
    if (config.form().equals("lowrank") && k > d) {
      throw new OptionException(
          "softembed",
          "rank",
          " = "
              + k
              + " is more than form = lowrank allows on this model (hidden size "
              + d
              + "): U = P Q (d x d) has rank at most d = "
              + d
              + ", so a larger rank only costs memory; give rank <= "
              + d);
    }
    if (config.form().equals("mlp") && (long) k * d > Integer.MAX_VALUE) {
      throw new OptionException(
          "softembed",
          "rank",
          " = "
              + k
              + " is too large for form = mlp on this model (hidden size "
              + d
              + "): its k x d down weight would hold more than "
              + Integer.MAX_VALUE
              + " entries; give rank <= "
              + Integer.MAX_VALUE / d);
    }
  }

  private NDArray uniform(SplittableRandom rng, int rows, int cols) {
    float bound = (float) (1.0 / Math.sqrt(cols));
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
    }
    return manager.create(v, new Shape(rows, cols));
  }

  private void add(String name, NDArray array) {
    array.setRequiresGradient(true);
    addTensor(new AdapterTensor(name, Role.GLOBAL, array));
  }

  /** The configuration this adapter was built with. */
  public SoftEmbedConfig config() {
    return config;
  }

  @Override
  public Map<String, String> options() {
    return config.toOptions();
  }

  @Override
  public NDArray tokenEmbeddings(NDArray tokens, HookContext ctx) {
    return isEnabled() && config.placement().equals("tokens") ? apply(tokens) : tokens;
  }

  @Override
  public NDArray afterEmbeddings(NDArray hidden, HookContext ctx) {
    return isEnabled() && config.placement().equals("embeddings") ? apply(hidden) : hidden;
  }

  /** True outside the per-example mode: the hooks read the adapter's tensors only. */
  @Override
  public boolean concurrentBatches() {
    return perExample == null;
  }

  @Override
  public boolean changesLinear(int layer, int module) {
    return false;
  }

  @Override
  public int firstAdaptedLayer() {
    return 0;
  }

  /** e + the form's residual term, for e of shape (batch, seq, d). */
  private NDArray apply(NDArray e) {
    return switch (config.form()) {
      case "linear" -> e.add(linear(e, tensor(0), null));
      case "lowrank" -> e.add(linear(linear(e, tensor(1), null), tensor(0), null));
      default -> {
        NDArray inner = linear(e, tensor(0), tensor(1));
        inner = inner.getNDArrayInternal().gelu();
        yield e.add(linear(inner, tensor(2), tensor(3)));
      }
    };
  }

  /** The live tensor at position {@code i}, or its per-example replica in per-example mode. */
  private NDArray tensor(int i) {
    AdapterTensor t = tensors().get(i);
    return perExample != null ? perExample.get(t.name()) : t.array();
  }

  /**
   * x W^T + b for x (batch, seq, in), W (out, in), b (out) or null; in per-example mode W is
   * (batch, out, in) and b (batch, out), and example i uses replica i.
   */
  private NDArray linear(NDArray x, NDArray w, NDArray b) {
    if (perExample != null) {
      NDArray y = x.matMul(w.transpose(0, 2, 1)); // (batch, seq, out)
      return b == null ? y : y.add(b.expandDims(1));
    }
    return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
  }

  @Override
  public void beginPerExample(int batchSize) {
    Map<String, NDArray> m = new LinkedHashMap<>();
    for (AdapterTensor t : tensors()) {
      NDArray r = t.array().expandDims(0).repeat(0, batchSize).duplicate();
      r.setRequiresGradient(true);
      m.put(t.name(), r);
    }
    perExample = m;
  }

  @Override
  public Map<String, NDArray> perExampleGradients() {
    Map<String, NDArray> g = new LinkedHashMap<>();
    perExample.forEach((name, r) -> g.put(name, r.getGradient()));
    return g;
  }

  @Override
  public void endPerExample() {
    perExample = null;
  }

  @Override
  public void close() {
    manager.close();
  }
}
