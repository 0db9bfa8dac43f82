package org.fedpeft.peft.dual;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.fedpeft.io.Sha256;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.LowRankDelta;
import org.fedpeft.model.Pooling;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.AbstractAdapter;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterStack;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.ClientContext;
import org.fedpeft.peft.Role;
import org.fedpeft.peft.RoundSpec;
import org.fedpeft.peft.TrainingPhase;
import org.fedpeft.peft.lora.LoraAdapter;
import org.fedpeft.tensor.Vectors;

/**
 * FedDPA's dual-personalising adapter: a GLOBAL and a LOCAL LoRA of the same shape on one model,
 * built as an {@link AdapterStack} of two {@code lora} members named {@value #GLOBAL_MEMBER} and
 * {@value #LOCAL_MEMBER} (the second declared local, so its tensors are LOCAL), plus three LOCAL
 * tensors that no optimiser touches: the cached anchor embeddings {@value #ANCHORS} (k x hidden),
 * the anchors' example indices {@value #ANCHOR_EXAMPLES} (k, -1 for none) and a status vector
 * {@value #STATUS} (whether the local adapter has been trained, how many anchors are cached, and
 * for FedDPA-F a fingerprint of the global adapter the local one was fine-tuned from).
 *
 * <p>What a linear module computes, by the phase the hooks see ({@code dW x} is one LoRA's output,
 * with its scaling and, while training, its dropout):
 *
 * <table>
 *   <caption>The adapted linear module</caption>
 *   <tr><th>phase</th><th>output</th></tr>
 *   <tr><td>{@value #PHASE_GLOBAL} (training the global adapter)</td><td>W x + dW_global
 *       x</td></tr>
 *   <tr><td>{@value #PHASE_LOCAL} (FedDPA-T's local step)</td><td>W x + a dW_local x + (1 - a)
 *       stopgrad(dW_global x): the global term is a constant for backward, as the reference code's
 *       {@code detach()}, so no gradient reaches the global adapter or flows through the global
 *       term back into x</td></tr>
 *   <tr><td>{@value #PHASE_FINETUNE} (FedDPA-F's fine-tune)</td><td>W x + dW_local x</td></tr>
 *   <tr><td>default phase, inference, local adapter trained</td><td>W x + w(x) dW_global x + (1 -
 *       w(x)) dW_local x with the instance weight w(x) that {@link #prepareBatch} computed (the
 *       two swap when {@code weight_goes_to = local})</td></tr>
 *   <tr><td>default phase, inference, local adapter never trained, or no weight
 *       prepared</td><td>W x + dW_global x</td></tr>
 *   <tr><td>default phase, training (a plain trainer on this adapter; {@code fedpeft train}
 *       refuses FedDPA, as inference would not use this sum)</td><td>W x + dW_global x + dW_local
 *       x</td></tr>
 * </table>
 *
 * <p>The instance weight of example x is {@code clamp(max_weight * mean_j cos(e(x), e_j), 0, 1)}
 * over the cached anchor embeddings e_j, with e the mean-pooled last layer of the base model plus
 * the adapter {@code embedding} names; {@link #prepareBatch} embeds the whole batch in one extra
 * forward pass and hands every example's weight to the hooks in the context, so the batch is not
 * re-run per example. {@link #personalise} (called by the client before it evaluates) fine-tunes
 * the local adapter for FedDPA-F and recomputes the anchor embeddings with the current adapters.
 */
public final class FedDpaAdapter extends AbstractAdapter {

  /** The member name of the global LoRA; its tensors are {@code global/<lora tensor>}. */
  public static final String GLOBAL_MEMBER = "global";

  /** The member name of the local LoRA; its tensors are {@code local/<lora tensor>}. */
  public static final String LOCAL_MEMBER = "local";

  /** The phase that trains the global adapter alone (every round; the only one of FedDPA-F). */
  public static final String PHASE_GLOBAL = "feddpa-global";

  /** FedDPA-T's phase that trains the local adapter against the frozen global one. */
  public static final String PHASE_LOCAL = "feddpa-local";

  /** FedDPA-F's fine-tune of the local adapter alone, in {@link #personalise}. */
  public static final String PHASE_FINETUNE = "feddpa-finetune";

  /** The cached anchor embeddings, (k, hidden); LOCAL, not trainable. */
  public static final String ANCHORS = "feddpa.anchors";

  /** The anchors' indices into the client's training data, (k), -1 for none; LOCAL. */
  public static final String ANCHOR_EXAMPLES = "feddpa.anchor_examples";

  /** The status vector, (6); LOCAL, not trainable. */
  public static final String STATUS = "feddpa.status";

  /** The per-batch context key of the global adapter's weight per example, (batch, 1, 1). */
  public static final String WEIGHT_GLOBAL = "feddpa.weight.global";

  /** The per-batch context key of the local adapter's weight per example, (batch, 1, 1). */
  public static final String WEIGHT_LOCAL = "feddpa.weight.local";

  /** Status: 1 once the local adapter has been trained (T) or fine-tuned (F), else 0. */
  static final int READY = 0;

  /** Status: how many anchor embeddings are cached and current (0 after any training). */
  static final int ANCHOR_COUNT = 1;

  /** Status: four 16-bit parts of the fingerprint of the global adapter F fine-tuned from. */
  static final int FINGERPRINT = 2;

  static final int STATUS_SIZE = 6;

  private final FedDpaConfig config;
  private final BertEncoder encoder;
  private final AdapterStack stack;
  private final LoraAdapter global;
  private final LoraAdapter local;
  private final NDManager manager;
  private final NDArray anchors;
  private final NDArray anchorExamples;
  private final NDArray status;
  private final NDArray localWeight; // a, a long-lived scalar (see LoraAdapter's scalingArray)
  private final NDArray globalWeight; // 1 - a
  private final List<AdapterTensor> globalTensors = new ArrayList<>();
  private final List<AdapterTensor> localTensors = new ArrayList<>();
  private final int hidden;

  /**
   * Creates both LoRA adapters on the encoder, each seeded from {@code seed} and its member name
   * ({@link AdapterStack#memberSeed}), with B zero, so the model equals the base model.
   */
  public FedDpaAdapter(FedDpaConfig config, BertEncoder encoder, long seed) {
    super(FedDpaMethod.NAME);
    // Checked here so that a refused rank names feddpa, whose option it is (the members are lora).
    LoraAdapter.requireRankFits(FedDpaMethod.NAME, config.lora(), encoder);
    int width = encoder.config().hiddenSize();
    if ((long) config.instances() * width > Integer.MAX_VALUE) {
      // The anchors (k x hidden) are copied through one Java array (an int overflow before).
      throw new org.fedpeft.config.OptionException(
          FedDpaMethod.NAME,
          "instances",
          " = "
              + config.instances()
              + " is too large for this model (hidden size "
              + width
              + "): the k x d anchors would hold more than "
              + Integer.MAX_VALUE
              + " entries; give instances <= "
              + Integer.MAX_VALUE / width
              + " (a client keeps at most its training examples anyway)");
    }
    this.config = config;
    this.encoder = encoder;
    Map<String, String> lora = config.lora().toOptions();
    this.stack =
        AdapterStack.create(
            List.of(
                new AdapterStack.MemberSpec(GLOBAL_MEMBER, "lora", lora, false),
                new AdapterStack.MemberSpec(LOCAL_MEMBER, "lora", lora, true)),
            encoder,
            seed);
    this.global = (LoraAdapter) stack.member(GLOBAL_MEMBER);
    this.local = (LoraAdapter) stack.member(LOCAL_MEMBER);
    this.hidden = encoder.config().hiddenSize();
    this.manager = encoder.manager().newSubManager();
    int k = config.instances();
    this.anchors = manager.zeros(new Shape(k, hidden));
    float[] none = new float[k];
    Arrays.fill(none, -1f);
    this.anchorExamples = manager.create(none, new Shape(k));
    this.status = manager.zeros(new Shape(STATUS_SIZE));
    this.localWeight = manager.create((float) config.localWeight());
    this.globalWeight = manager.create((float) (1 - config.localWeight()));
    for (AdapterTensor t : stack.tensors()) {
      addTensor(t);
      (t.name().startsWith(GLOBAL_MEMBER + "/") ? globalTensors : localTensors).add(t);
    }
    addTensor(new AdapterTensor(ANCHORS, Role.LOCAL, anchors, false));
    addTensor(new AdapterTensor(ANCHOR_EXAMPLES, Role.LOCAL, anchorExamples, false));
    addTensor(new AdapterTensor(STATUS, Role.LOCAL, status, false));
  }

  public FedDpaConfig config() {
    return config;
  }

  /** The global LoRA. */
  public LoraAdapter global() {
    return global;
  }

  /** The local LoRA. */
  public LoraAdapter local() {
    return local;
  }

  @Override
  public Map<String, String> options() {
    return config.toOptions();
  }

  /** Also switches both LoRAs. */
  @Override
  public void setEnabled(boolean enabled) {
    super.setEnabled(enabled);
    stack.setEnabled(enabled);
  }

  /**
   * As its two LoRA adapters say: the mixing weights are long-lived scalars or per-batch values in
   * the context, and the instance-wise weights are computed per example from the anchors.
   */
  @Override
  public boolean concurrentBatches() {
    return global.concurrentBatches() && local.concurrentBatches();
  }

  @Override
  public boolean changesLinear(int layer, int module) {
    return global.changesLinear(layer, module) || local.changesLinear(layer, module);
  }

  @Override
  public int firstAdaptedLayer() {
    return stack.firstAdaptedLayer();
  }

  /**
   * The change as factors, in every phase. The phases that use one adapter alone offer its factors
   * (the global one in {@value #PHASE_GLOBAL}, the local one in {@value #PHASE_FINETUNE}); the
   * phases that mix the two offer both side by side (global first), {@code down = [w_g down_g, w_l
   * down_l]} (tokens, 2r) and {@code up = [up_g; up_l]} (2r, out), whose product is the mixed
   * change of the table above: the weights scale the rank-r activations (per example at inference,
   * (batch, 1, 1)), and in {@value #PHASE_LOCAL} both global factors are constants for backward.
   * Null where the module is unchanged. (The members always offer factors: this adapter does not
   * give them per-example replicas, so sample-level privacy runs it one example at a time.)
   */
  @Override
  public LowRankDelta linearLowRank(int layer, int module, NDArray input, HookContext ctx) {
    if (!isEnabled()) {
      return null;
    }
    return switch (ctx.phase()) {
      case PHASE_GLOBAL -> global.linearLowRank(layer, module, input, ctx);
      case PHASE_FINETUNE -> local.linearLowRank(layer, module, input, ctx);
      default -> mixedFactors(layer, module, input, ctx);
    };
  }

  private LowRankDelta mixedFactors(int layer, int module, NDArray input, HookContext ctx) {
    boolean localPhase = PHASE_LOCAL.equals(ctx.phase());
    NDArray wg = null;
    NDArray wl = null;
    if (localPhase) {
      wg = globalWeight;
      wl = localWeight;
    } else if (!ctx.isTraining()) {
      wg = ctx.value(WEIGHT_GLOBAL);
      if (wg == null) {
        return global.linearLowRank(layer, module, input, ctx); // the global adapter alone
      }
      wl = ctx.value(WEIGHT_LOCAL);
    }
    // The global member first, then the local one: the order the dropout masks are drawn in.
    LowRankDelta g = global.linearLowRank(layer, module, input, ctx);
    LowRankDelta l = g == null ? null : local.linearLowRank(layer, module, input, ctx);
    if (l == null) {
      return null;
    }
    NDArray gDown = localPhase ? g.down().stopGradient() : g.down();
    NDArray gUp = localPhase ? g.up().stopGradient() : g.up();
    NDArray lDown = l.down();
    if (wg != null) {
      gDown = gDown.mul(wg);
      lDown = lDown.mul(wl);
    }
    return LowRankDelta.sideBySide(new LowRankDelta(gDown, gUp), new LowRankDelta(lDown, l.up()));
  }

  /** The change whole: the product of {@link #linearLowRank}'s factors. */
  @Override
  public NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
    LowRankDelta f = linearLowRank(layer, module, input, ctx);
    return f == null ? null : f.product();
  }

  /**
   * At inference in the default phase, once the local adapter has been trained: embeds the batch
   * (one forward pass of the base model plus the {@code embedding} adapter), computes every
   * example's instance weight against the cached anchors, and returns a context carrying the global
   * and the local adapter's weight per example under {@value #WEIGHT_GLOBAL} and {@value
   * #WEIGHT_LOCAL}, (batch, 1, 1). Otherwise returns {@code ctx}.
   *
   * @throws IllegalStateException if the local adapter has been trained since the anchors were last
   *     embedded (the client's {@link #personalise} computes them)
   */
  @Override
  public HookContext prepareBatch(HookContext ctx, NDArray ids, NDArray mask) {
    if (!isEnabled() || ctx.isTraining() || !HookContext.DEFAULT_PHASE.equals(ctx.phase())) {
      return ctx;
    }
    if (!localReady()) {
      return ctx;
    }
    double[] w = instanceWeights(ids, mask);
    float[] toGlobal = new float[w.length];
    float[] toLocal = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      double g = config.weightGoesTo() == FedDpaConfig.Target.GLOBAL ? w[i] : 1 - w[i];
      toGlobal[i] = (float) g;
      toLocal[i] = (float) (1 - g);
    }
    NDManager m = ids.getManager();
    Shape s = new Shape(w.length, 1, 1);
    return ctx.with(WEIGHT_GLOBAL, m.create(toGlobal, s)).with(WEIGHT_LOCAL, m.create(toLocal, s));
  }

  /** Whether the local adapter has been trained (FedDPA-T) or fine-tuned (FedDPA-F). */
  public boolean localReady() {
    return status.toFloatArray()[READY] >= 0.5f;
  }

  /**
   * A local adapter that is trained but has no current anchors: a client's model saved after it
   * trained past its last evaluation, whose instance weights cannot be computed.
   */
  @Override
  public String savedStateProblem() {
    return localReady() && anchorCount() < 1
        ? "a FedDPA client model whose anchor embeddings are stale: the client trained after its"
            + " last evaluation, which is what computes them (eval.clients below clients, or a"
            + " client never evaluated), so its instance weights cannot be computed; use a client"
            + " evaluated in the run's last round (eval.clients = clients evaluates every one)"
        : null;
  }

  /** How many anchor embeddings are cached and current. */
  public int anchorCount() {
    int n = Math.round(status.toFloatArray()[ANCHOR_COUNT]);
    return Math.max(0, Math.min(n, config.instances()));
  }

  /**
   * The instance weight of every example of the batch, {@code clamp(max_weight * mean_j cos(e(x),
   * e_j), 0, 1)} over the cached anchors: the weight of the adapter {@code weight_goes_to} names.
   *
   * @throws IllegalStateException if no anchors are cached
   */
  public double[] instanceWeights(NDArray ids, NDArray mask) {
    int count = anchorCount();
    if (count < 1) {
      throw new IllegalStateException(
          "feddpa: no current anchor embeddings; the client computes them before it evaluates"
              + " (Adapter.personalise), and any training since makes them stale");
    }
    float[] e = embed(ids, mask).toFloatArray();
    float[] a = anchors.toFloatArray();
    int batch = e.length / hidden;
    double[] out = new double[batch];
    for (int i = 0; i < batch; i++) {
      double sum = 0;
      for (int j = 0; j < count; j++) {
        sum += Vectors.cosine(e, i * hidden, a, j * hidden, hidden);
      }
      out[i] = Math.max(0, Math.min(1, config.maxWeight() * sum / count));
    }
    return out;
  }

  /**
   * The embedding the instance weights compare: the mean-pooled last layer of the base model plus
   * the adapter {@code embedding} names, without dropout; (batch, hidden).
   */
  public NDArray embed(NDArray ids, NDArray mask) {
    EncoderHooks hooks =
        switch (config.embedding()) {
          case LOCAL -> local;
          case GLOBAL -> global;
          case BASE -> EncoderHooks.NONE;
        };
    return Pooling.mean(encoder.forward(ids, mask, hooks, HookContext.inference()), mask);
  }

  /**
   * FedDPA-T from round 2 on: the local phase ({@code local_share} of the steps, the local adapter
   * only, the head frozen) then the global phase (the rest, the global adapter and the head).
   * Otherwise (round 1, FedDPA-F): the global phase alone with every step. Because the client saves
   * the LOCAL tensors after its phases run, this also records in the status that the local adapter
   * is trained (T, from round 2) and that the cached anchors are stale (any training).
   */
  @Override
  public List<TrainingPhase> phases(RoundSpec spec, Set<String> trainable) {
    Set<String> g = names(globalTensors, trainable);
    Set<String> l = names(localTensors, trainable);
    float[] st = status.toFloatArray();
    st[ANCHOR_COUNT] = 0;
    List<TrainingPhase> out;
    if (config.variant() == FedDpaConfig.Variant.T && spec.round() >= 2) {
      st[READY] = 1;
      out =
          List.of(
              new TrainingPhase(PHASE_LOCAL, l, false, config.localShare()),
              new TrainingPhase(PHASE_GLOBAL, g, true, 1 - config.localShare()));
    } else {
      out = List.of(new TrainingPhase(PHASE_GLOBAL, g, true, 1.0));
    }
    Adapter.Tensors.assign(status, st);
    return out;
  }

  private static Set<String> names(List<AdapterTensor> of, Set<String> among) {
    Set<String> out = new LinkedHashSet<>();
    for (AdapterTensor t : of) {
      if (among.contains(t.name())) {
        out.add(t.name());
      }
    }
    return out;
  }

  @Override
  public void beginRound(RoundSpec spec) {
    stack.beginRound(spec);
  }

  /**
   * Before the client evaluates: for FedDPA-F, if the local adapter was not yet fine-tuned from the
   * current global adapter (by the status's fingerprint), copies the global adapter into the local
   * one and fine-tunes it alone for {@code finetune_epochs} epochs of the client's data (head
   * frozen). Then, once the local adapter is trained, embeds the anchors: k of the client's
   * training examples, drawn once with the client's seed and kept (their indices are saved),
   * embedded with the current adapters. Returns whether any LOCAL tensor changed.
   */
  @Override
  public boolean personalise(ClientContext client) {
    float[] st = status.toFloatArray();
    float[] stBefore = st.clone();
    boolean tuned = false;
    EncodedExamples data = client.trainingData();
    if (config.variant() == FedDpaConfig.Variant.F) {
      float[] fp = fingerprint(globalTensors);
      boolean current =
          st[READY] >= 0.5f && Arrays.equals(Arrays.copyOfRange(st, FINGERPRINT, STATUS_SIZE), fp);
      if (!current) {
        for (int i = 0; i < localTensors.size(); i++) {
          AdapterTensor to = localTensors.get(i);
          AdapterTensor from = globalTensors.get(i);
          if (!to.name()
              .substring(LOCAL_MEMBER.length())
              .equals(from.name().substring(GLOBAL_MEMBER.length()))) {
            throw new IllegalStateException(to.name() + " is not the twin of " + from.name());
          }
          Adapter.Tensors.assign(to.array(), from.array().toFloatArray());
        }
        int batch = Math.min(client.batchSize(), data.size());
        int steps = (int) Math.ceil(config.finetuneEpochs() * data.size() / batch);
        if (steps > 0) {
          Set<String> names = new LinkedHashSet<>();
          localTensors.forEach(t -> names.add(t.name()));
          client.train(new TrainingPhase(PHASE_FINETUNE, names, false, 1.0), steps);
        }
        st[READY] = 1;
        System.arraycopy(fp, 0, st, FINGERPRINT, fp.length);
        tuned = true;
      }
    }
    boolean changed = tuned;
    if (st[READY] >= 0.5f) {
      int[] idx = anchorIndices(data.size(), client.seed());
      float[] idxValues = new float[config.instances()];
      Arrays.fill(idxValues, -1f);
      for (int i = 0; i < idx.length; i++) {
        idxValues[i] = idx[i];
      }
      float[] emb = new float[config.instances() * hidden];
      float[] e = embedExamples(data, idx);
      System.arraycopy(e, 0, emb, 0, e.length);
      st[ANCHOR_COUNT] = idx.length;
      changed |= !Arrays.equals(emb, anchors.toFloatArray());
      changed |= !Arrays.equals(idxValues, anchorExamples.toFloatArray());
      Adapter.Tensors.assign(anchors, emb);
      Adapter.Tensors.assign(anchorExamples, idxValues);
    }
    changed |= !Arrays.equals(st, stBefore);
    Adapter.Tensors.assign(status, st);
    return changed;
  }

  /**
   * The anchors' example indices: the saved ones if they are min(k, n) distinct indices into data
   * of size n, else min(k, n) drawn without replacement from a generator seeded with {@code seed}.
   */
  private int[] anchorIndices(int n, long seed) {
    int k = Math.min(config.instances(), n);
    float[] saved = anchorExamples.toFloatArray();
    int[] idx = new int[k];
    Set<Integer> seen = new HashSet<>();
    boolean valid = true;
    for (int i = 0; i < k; i++) {
      idx[i] = Math.round(saved[i]);
      valid &= saved[i] == idx[i] && idx[i] >= 0 && idx[i] < n && seen.add(idx[i]);
    }
    if (valid) {
      return idx;
    }
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < k; i++) { // partial Fisher-Yates: the first k places
      int j = i + rng.nextInt(n - i);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return Arrays.copyOf(perm, k);
  }

  private float[] embedExamples(EncodedExamples data, int[] idx) {
    try (NDScope scope = new NDScope();
        NDManager m = encoder.manager().newSubManager()) {
      scope.suppressNotUsedWarning();
      TokenBatch b = data.batch(idx);
      Shape s = new Shape(b.batchSize(), b.seqLen());
      return embed(m.create(b.ids(), s), m.create(b.mask(), s)).toFloatArray();
    }
  }

  /** {@link #fingerprint(Map)} of the live tensors, by name. */
  static float[] fingerprint(List<AdapterTensor> of) {
    Map<String, float[]> values = new TreeMap<>();
    for (AdapterTensor t : of) {
      values.put(t.name(), t.array().toFloatArray());
    }
    return fingerprint(values);
  }

  /**
   * A fingerprint of named values: the first 64 bits of the SHA-256 of the names (UTF-8) and the
   * float32 bits of the values, in name order, as four 16-bit parts (exact in float32).
   */
  static float[] fingerprint(Map<String, float[]> values) {
    MessageDigest md = Sha256.newDigest();
    for (var e : new TreeMap<>(values).entrySet()) {
      md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      float[] v = e.getValue();
      ByteBuffer b = ByteBuffer.allocate(4 * v.length);
      for (float x : v) {
        b.putInt(Float.floatToRawIntBits(x));
      }
      md.update(b.array());
    }
    byte[] h = md.digest();
    float[] out = new float[4];
    for (int i = 0; i < 4; i++) {
      out[i] = ((h[2 * i] & 0xff) << 8) | (h[2 * i + 1] & 0xff);
    }
    return out;
  }

  @Override
  public void close() {
    stack.close();
    manager.close();
  }

  @Override
  public String toString() {
    return "FedDpaAdapter" + config.toOptions();
  }
}
