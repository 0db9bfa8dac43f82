package org.fedpeft.train;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import org.fedpeft.model.HookContext;
import org.fedpeft.model.LowRankDelta;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterTensor;

/**
 * For tests: an adapter that does what {@code inner} does and calls {@link #observe} with the input
 * and context of each linear hook ({@link #linearLowRank}, {@link #linearDelta}) before handing the
 * call on. Closing it leaves {@code inner} open.
 */
abstract class ObservedAdapter implements Adapter {
  final Adapter inner;

  ObservedAdapter(Adapter inner) {
    this.inner = inner;
  }

  /** Called with each linear hook's input and context, on the thread that runs the hook. */
  abstract void observe(NDArray input, HookContext ctx);

  @Override
  public boolean concurrentBatches() {
    return inner.concurrentBatches();
  }

  @Override
  public String method() {
    return inner.method();
  }

  @Override
  public Map<String, String> options() {
    return inner.options();
  }

  @Override
  public List<AdapterTensor> tensors() {
    return inner.tensors();
  }

  @Override
  public boolean isEnabled() {
    return inner.isEnabled();
  }

  @Override
  public void setEnabled(boolean enabled) {
    inner.setEnabled(enabled);
  }

  @Override
  public boolean changesLinear(int layer, int module) {
    return inner.changesLinear(layer, module);
  }

  @Override
  public int firstAdaptedLayer() {
    return inner.firstAdaptedLayer();
  }

  @Override
  public LowRankDelta linearLowRank(int layer, int module, NDArray input, HookContext ctx) {
    observe(input, ctx);
    return inner.linearLowRank(layer, module, input, ctx);
  }

  @Override
  public NDArray linearDelta(int layer, int module, NDArray input, HookContext ctx) {
    observe(input, ctx);
    return inner.linearDelta(layer, module, input, ctx);
  }

  @Override
  public void close() {}
}
