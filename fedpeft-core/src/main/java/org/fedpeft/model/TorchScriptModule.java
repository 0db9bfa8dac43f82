package org.fedpeft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TorchScript module compiled from source text by the loading libtorch ({@link
 * TorchScriptArchive}), to run libtorch operators that DJL's JNI does not expose, or many small
 * operators in one JNI call.
 *
 * <p>Methods run with the graph executor's optimisations off (a thread-local libtorch switch, set
 * for the call and back to its default, on, after it): the module is then interpreted operator by
 * operator as written. With optimisations on, libtorch rewrites the graph before running it (for
 * example {@code addmm} with unit factors into {@code mm} followed by {@code add}), which sums in
 * another order (results differ by rounding from the same operators called through DJL) and costs a
 * profiling run per new input shape.
 */
public final class TorchScriptModule implements AutoCloseable {

  /**
   * DJL's name prefix for an input array that is not passed on but selects the method {@link
   * IValueUtils#forward(PtSymbolBlock, NDList, boolean)} runs.
   */
  private static final String METHOD_SELECTOR = "module_method:";

  private final PtSymbolBlock block;
  private final NDManager manager;
  private final Map<String, NDArray> selectors = new ConcurrentHashMap<>();

  private TorchScriptModule(PtSymbolBlock block, NDManager manager) {
    this.block = block;
    this.manager = manager;
  }

  /**
   * Compiles and loads a module without parameters.
   *
   * @param manager a PyTorch engine manager that owns the module
   * @param className see {@link TorchScriptArchive#write}
   * @param body see {@link TorchScriptArchive#write}
   */
  public static TorchScriptModule load(NDManager manager, String className, String body) {
    return load(manager, className, List.of(), body);
  }

  /**
   * Compiles and loads a module whose {@code List[Tensor]} attributes {@code tensorLists} start
   * empty ({@link TorchScriptArchive#write(String, List, String)}).
   *
   * @param manager a PyTorch engine manager that owns the module
   */
  public static TorchScriptModule load(
      NDManager manager, String className, List<String> tensorLists, String body) {
    byte[] archive = TorchScriptArchive.write(className, tensorLists, body);
    try {
      return new TorchScriptModule(
          JniUtils.loadModule(
              (PtNDManager) manager, new ByteArrayInputStream(archive), false, false),
          manager);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs {@code forward} on tensors (unnamed arrays: each is one tensor argument) under the calling
   * thread's gradient mode, so autograd records through it when gradients are being collected. The
   * results belong to the first input's manager.
   */
  public NDList forward(NDList inputs) {
    JniUtils.setGraphExecutorOptimize(false);
    try {
      return IValueUtils.forward(block, inputs, true);
    } finally {
      JniUtils.setGraphExecutorOptimize(true);
    }
  }

  /**
   * Runs method {@code method} on tensors as {@link #forward} runs {@code forward}: under the
   * calling thread's gradient mode, so autograd records through it, and its results are ordinary
   * tensors (not inference tensors), which autograd may save for a backward pass. The results
   * belong to the first input's manager. The inputs must be unnamed (DJL reads meaning into names).
   */
  public NDList call(String method, NDList inputs) {
    NDList all = new NDList(inputs.size() + 1);
    all.addAll(inputs);
    all.add(selectors.computeIfAbsent(method, this::selector));
    return forward(all);
  }

  /** An empty array whose name makes DJL run {@code method} instead of {@code forward}. */
  private NDArray selector(String method) {
    NDArray s = manager.zeros(new Shape(0));
    NDScope.unregister(s); // lives as long as the module's manager, not a caller's scope
    s.setName(METHOD_SELECTOR + method);
    return s;
  }

  /**
   * Runs a method with gradient mode off (DJL's inference call), e.g. in-place updates of leaf
   * tensors. The caller closes the arguments and the result. Tensors it creates are inference
   * tensors: autograd refuses to save them for a backward pass, so keep them out of anything that
   * needs gradients (or create such tensors with {@link #call}).
   */
  public IValue run(String method, IValue... args) {
    JniUtils.setGraphExecutorOptimize(false);
    try {
      return IValueUtils.runMethod(block, method, args);
    } finally {
      JniUtils.setGraphExecutorOptimize(true);
    }
  }

  /**
   * Runs a method as {@link #run} does (gradient mode off) on arguments given as Java values: an
   * {@link NDArray} becomes a tensor, a {@link Long} an int, a {@link Double} a float. Closes what
   * it made of them; the result is a tensor in {@code manager}.
   */
  public NDArray runToTensor(String method, NDManager manager, Object... args) {
    IValue[] values = new IValue[args.length];
    try {
      for (int i = 0; i < args.length; i++) {
        Object a = args[i];
        values[i] =
            a instanceof NDArray t
                ? IValue.from((PtNDArray) t)
                : a instanceof Long l
                    ? IValue.from(l.longValue())
                    : a instanceof Double d ? IValue.from(d.doubleValue()) : unsupported(a);
      }
      try (IValue out = run(method, values)) {
        return out.toTensor((PtNDManager) manager);
      }
    } finally {
      for (IValue v : values) {
        if (v != null) {
          v.close();
        }
      }
    }
  }

  private static IValue unsupported(Object a) {
    throw new IllegalArgumentException(
        "TorchScript argument of type " + (a == null ? "null" : a.getClass().getName()));
  }

  @Override
  public void close() {
    block.close();
  }
}
