package org.fedpeft.engine;

import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Sets the test runner's thread back to the intra-op thread count and gradient mode it had before
 * each test ({@code @ExtendWith(ThreadSettingsRestored.class)}): the thread computes for the tests
 * after this one in the same JVM.
 */
public final class ThreadSettingsRestored implements BeforeEachCallback, AfterEachCallback {

  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(ThreadSettingsRestored.class);

  @Override
  public void beforeEach(ExtensionContext context) {
    Engines.pytorch();
    context.getStore(NS).put("threads", JniUtils.getNumThreads());
    context.getStore(NS).put("grad", JniUtils.isGradMode());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    JniUtils.setNumThreads(context.getStore(NS).get("threads", Integer.class));
    JniUtils.setGradMode(context.getStore(NS).get("grad", Boolean.class));
  }
}
