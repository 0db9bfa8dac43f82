package org.fedpeft.peft.dual;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.LowRankDelta;
import org.fedpeft.peft.AbstractAdapter;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.peft.PerExampleGradients;
import org.fedpeft.peft.Role;
import org.fedpeft.peft.lora.LoraAdapter;
import org.fedpeft.peft.lora.LoraConfig;

/**
 * One LoRA whose factors are kept on the client in part or whole: the personalisation baselines
 * FedDPA is compared with. The computation, tensor names and initialisation are {@link
 * LoraAdapter}'s; only the roles differ.
 *
 * <ul>
 *   <li>{@link Sharing#NONE} ({@code fedlora}): A and B are LOCAL, so nothing of the adapter is
 *       ever sent; only the head is averaged.
 *   <li>{@link Sharing#A} ({@code fedsa-lora}, FedSA-LoRA, Guo et al., ICLR 2025): A is GLOBAL and
 *       averaged, B is LOCAL.
 * </ul>
 */
public final class PersonalLoraAdapter extends AbstractAdapter implements PerExampleGradients {

  /** Which LoRA factors are shared. */
  public enum Sharing {
    /** None: the adapter is local (FedLoRA). */
    NONE("fedlora"),
    /** A only (FedSA-LoRA). */
    A("fedsa-lora");

    private final String method;

    Sharing(String method) {
      this.method = method;
    }

    /** The registry name of the method. */
    public String method() {
      return method;
    }
  }

  private final LoraAdapter lora;

  /**
   * A LoRA of {@code config} seeded with {@code seed}, its roles set by {@code sharing}. That
   * {@code config} trains A is an argument check for code that builds one: a user's options never
   * reach it, as the method checks them against {@link PersonalLoraMethod#OPTIONS} first, which has
   * no {@code train_a}; so its message names the field and no method.
   */
  public PersonalLoraAdapter(Sharing sharing, LoraConfig config, BertEncoder encoder, long seed) {
    super(sharing.method());
    if (!config.trainA()) {
      throw new IllegalArgumentException(
          "PersonalLoraAdapter: config.trainA must be true ("
              + sharing.method()
              + " trains both LoRA factors), got false");
    }
    this.lora = new LoraAdapter(sharing.method(), config, encoder, seed);
    for (AdapterTensor t : lora.tensors()) {
      boolean shared = sharing == Sharing.A && t.name().endsWith(".lora_A");
      addTensor(new AdapterTensor(t.name(), shared ? Role.GLOBAL : Role.LOCAL, t.array()));
    }
  }

  @Override
  public Map<String, String> options() {
    return LoraOptions.toOptions(lora.config());
  }

  /** Also switches the LoRA underneath. */
  @Override
  public void setEnabled(boolean enabled) {
    super.setEnabled(enabled);
    lora.setEnabled(enabled);
  }

  @Override
  public NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
    return lora.linearDelta(layer, module, input, ctx);
  }

  @Override
  public LowRankDelta linearLowRank(int layer, int module, NDArray input, HookContext ctx) {
    return lora.linearLowRank(layer, module, input, ctx);
  }

  /** As its LoRA says. */
  @Override
  public boolean concurrentBatches() {
    return lora.concurrentBatches();
  }

  @Override
  public boolean changesLinear(int layer, int module) {
    return lora.changesLinear(layer, module);
  }

  @Override
  public int firstAdaptedLayer() {
    return lora.firstAdaptedLayer();
  }

  @Override
  public void merge(BertEncoder encoder) {
    lora.merge(encoder);
  }

  @Override
  public void unmerge(BertEncoder encoder) {
    lora.unmerge(encoder);
  }

  @Override
  public void beginPerExample(int batchSize) {
    lora.beginPerExample(batchSize);
  }

  @Override
  public Map<String, NDArray> perExampleGradients() {
    return lora.perExampleGradients();
  }

  @Override
  public void endPerExample() {
    lora.endPerExample();
  }

  @Override
  public void close() {
    lora.close();
  }
}
