package org.fedpeft.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

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

  private final PtSymbolBlock block;

  private TorchScriptModule(PtSymbolBlock block) {
    this.block = block;
  }

  /**
   * Compiles and loads a module without parameters.
   *
   * @param manager a PyTorch engine manager that owns the module
   * @param className see {@link TorchScriptArchive#write}
   * @param body see {@link TorchScriptArchive#write}
   */
  public static TorchScriptModule load(NDManager manager, String className, String body) {
    byte[] archive = TorchScriptArchive.write(className, body);
    try {
      return new TorchScriptModule(
          JniUtils.loadModule(
              (PtNDManager) manager, new ByteArrayInputStream(archive), false, false));
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
   * Runs a method with gradient mode off (DJL's inference call), e.g. in-place updates of leaf
   * tensors. The caller closes the arguments and the result.
   */
  public IValue run(String method, IValue... args) {
    JniUtils.setGraphExecutorOptimize(false);
    try {
      return IValueUtils.runMethod(block, method, args);
    } finally {
      JniUtils.setGraphExecutorOptimize(true);
    }
  }

  @Override
  public void close() {
    block.close();
  }
}
