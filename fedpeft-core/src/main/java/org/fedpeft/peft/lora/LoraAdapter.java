package org.fedpeft.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedpeft.model.BertConfig;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.BertWeights;
import org.fedpeft.model.HookContext;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.Dropout;
import org.fedpeft.peft.Role;
import org.fedpeft.peft.TargetModules;
import org.fedpeft.train.PerExampleGradients;

/**
 * LoRA on the target linear modules of a BERT encoder.
 *
 * <p>Tensor names are the module name plus {@code .lora_A} / {@code .lora_B}, e.g. {@code
 * encoder.layer.0.attention.self.query.lora_A} (r x in) and {@code ...lora_B} (out x r). A is drawn
 * as PyTorch's {@code kaiming_uniform_(a = sqrt(5))} draws it (uniform in +-1/sqrt(in)), from a
 * generator seeded with the given seed, so the same seed gives the same A on every machine; B is
 * zero, so the adapted model equals the base model at init. Both are GLOBAL.
 */
public final class LoraAdapter implements Adapter, PerExampleGradients {

  private final LoraConfig config;
  private final NDManager manager;
  private final NDArray[][] loraA;
  private final NDArray[][] loraB;
  private final List<AdapterTensor> tensors = new ArrayList<>();
  private final NDArray scalingArray; // alpha / r, kept alive for autograd
  private final int firstLayer; // the lowest targeted block
  private boolean enabled = true;
  private boolean merged;
  private NDArray[][] perExampleA; // (batch, r, in) leaf replicas while in per-example mode
  private NDArray[][] perExampleB; // (batch, out, r)

  public LoraAdapter(LoraConfig config, BertEncoder encoder, long seed) {
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
      Shape w = encoder.linearWeight(slot.layer(), slot.module()).getShape(); // (out, in)
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
      tensors.add(
          new AdapterTensor(
              slot.name() + ".lora_A", config.trainA() ? Role.GLOBAL : Role.FROZEN_SHARED, arrA));
      tensors.add(new AdapterTensor(slot.name() + ".lora_B", Role.GLOBAL, arrB));
    }
    this.firstLayer = lowest;
  }

  public LoraConfig config() {
    return config;
  }

  @Override
  public String method() {
    return "lora";
  }

  @Override
  public Map<String, String> options() {
    return config.toOptions();
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
  public NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
    NDArray a = loraA[layer][module];
    if (a == null || !enabled || merged) {
      return null;
    }
    NDArray x = input;
    if (ctx.isTraining() && config.dropout() > 0) {
      x = Dropout.apply(x, config.dropout());
    }
    if (perExampleB != null) {
      // Batched products with one replica per example: (b, s, in) x (b, in, r) -> (b, s, r).
      NDArray ra = perExampleA[layer][module] != null ? perExampleA[layer][module] : null;
      NDArray downPe = ra != null ? x.matMul(ra.transpose(0, 2, 1)) : x.matMul(a.transpose());
      if (config.scaling() != 1f) {
        downPe = downPe.mul(scalingArray);
      }
      return downPe.matMul(perExampleB[layer][module].transpose(0, 2, 1)); // (b, s, out)
    }
    NDArray down = x.getNDArrayInternal().linear(x, a, null).singletonOrThrow(); // (b, s, r)
    // Scaling the rank-r activations instead of the output is out/r times less work; for a
    // power-of-two alpha / r (the default 16 / 8) the result is the same to the bit.
    if (config.scaling() != 1f) {
      // A long-lived scalar tensor, not mul(float): see BertEncoder's queryScale.
      down = down.mul(scalingArray);
    }
    return down.getNDArrayInternal()
        .linear(down, loraB[layer][module], null)
        .singletonOrThrow(); // (b, s, out)
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
    for (AdapterTensor t : tensors) {
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

  /** The weight change (alpha / r) B A of one module, (out, in); null if not targeted. */
  public NDArray deltaWeight(int layer, int module) {
    NDArray a = loraA[layer][module];
    return a == null ? null : loraB[layer][module].matMul(a).mul(config.scaling());
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
