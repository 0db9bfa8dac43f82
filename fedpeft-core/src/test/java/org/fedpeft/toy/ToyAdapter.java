package org.fedpeft.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.HookContext;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.ClientContext;
import org.fedpeft.peft.Role;
import org.fedpeft.peft.RoundSpec;
import org.fedpeft.peft.TrainingPhase;
import org.fedpeft.random.SeededRandom;
import org.fedpeft.tensor.HostTensor;

/**
 * After the embedding LayerNorm adds {@code scale * global + local + frozen} to every position:
 * {@code toy.global} (GLOBAL), {@code toy.local} (LOCAL), {@code toy.scale} (ROUND, 1 at the start
 * of every round, folded into the global vector before it is sent) and {@code toy.frozen}
 * (FROZEN_SHARED, seeded normal values). A round trains in two phases: the local vector alone, then
 * the global vector and the scale with the head.
 */
final class ToyAdapter implements Adapter {

  private final NDManager manager;
  private final NDArray global;
  private final NDArray local;
  private final NDArray scale;
  private final NDArray frozen;
  private final float frozenScale;
  private final boolean failPersonalise;
  private final List<AdapterTensor> tensors;
  private boolean enabled = true;

  ToyAdapter(BertEncoder encoder, long seed, float frozenScale, boolean failPersonalise) {
    int hidden = encoder.config().hiddenSize();
    this.frozenScale = frozenScale;
    this.failPersonalise = failPersonalise;
    this.manager = encoder.manager().newSubManager();
    global = manager.zeros(new Shape(hidden));
    local = manager.zeros(new Shape(hidden));
    scale = manager.ones(new Shape(1));
    SeededRandom rng = new SeededRandom(seed);
    float[] f = new float[hidden];
    for (int i = 0; i < hidden; i++) {
      f[i] = (float) (rng.nextGaussian() * frozenScale);
    }
    frozen = manager.create(f, new Shape(hidden));
    global.setRequiresGradient(true);
    local.setRequiresGradient(true);
    scale.setRequiresGradient(true);
    tensors =
        List.of(
            new AdapterTensor("toy.global", Role.GLOBAL, global),
            new AdapterTensor("toy.local", Role.LOCAL, local),
            new AdapterTensor("toy.scale", Role.ROUND, scale),
            new AdapterTensor("toy.frozen", Role.FROZEN_SHARED, frozen));
  }

  @Override
  public String method() {
    return "toy";
  }

  @Override
  public Map<String, String> options() {
    return failPersonalise
        ? Map.of("frozen_scale", Float.toString(frozenScale), "fail_personalise", "true")
        : Map.of("frozen_scale", Float.toString(frozenScale));
  }

  @Override
  public boolean personalise(ClientContext client) {
    if (failPersonalise) {
      throw new IllegalStateException("toy: fail_personalise = true");
    }
    return false;
  }

  @Override
  public List<AdapterTensor> tensors() {
    return tensors;
  }

  @Override
  public boolean isEnabled() {
    return enabled;
  }

  @Override
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  @Override
  public NDArray afterEmbeddings(NDArray hidden, HookContext ctx) {
    if (!enabled) {
      return hidden;
    }
    // (batch, seq, hidden) + (hidden): computed inside the caller's NDScope.
    return hidden.add(local).add(frozen).add(global.mul(scale));
  }

  @Override
  public List<TrainingPhase> phases(RoundSpec spec, Set<String> trainable) {
    return List.of(
        new TrainingPhase("local", Set.of("toy.local"), false, 0.5),
        new TrainingPhase("global", Set.of("toy.global", "toy.scale"), true, 0.5));
  }

  @Override
  public Map<String, HostTensor> uplink(Set<String> trained) {
    float s = scale.getFloat();
    float[] g = global.toFloatArray();
    for (int i = 0; i < g.length; i++) {
      g[i] *= s;
    }
    return Map.of("toy.global", new HostTensor(new long[] {g.length}, g));
  }

  @Override
  public void close() {
    manager.close();
  }
}
