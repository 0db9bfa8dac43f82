package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.fedpeft.engine.Engines;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.BertEncoder;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TextTokenizer;
import org.fedpeft.model.TinyModels;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/**
 * Two trainers on one shared frozen encoder, each on its own thread at the same time, end exactly
 * where they end one after the other: gradients are recorded per thread and dropout masks come from
 * per-step seeded generators, not from process-wide state.
 */
class ConcurrentTrainingTest {

  /**
   * The sequential trainers run on this (the test runner's) thread, which {@link #train} sets to 1
   * intra-op thread with gradients off; both are set back after, as tests after this one in the
   * same JVM compute on this thread (and a thread that starts computing takes the last count set).
   */
  @Test
  void concurrentTrainersEqualSequentialOnes() throws Exception {
    Engine engine = Engines.pytorch();
    int threadsBefore = JniUtils.getNumThreads();
    boolean gradModeBefore = JniUtils.isGradMode();
    try {
      trainAtOnceAndOneAfterTheOther(engine);
    } finally {
      JniUtils.setNumThreads(threadsBefore);
      JniUtils.setGradMode(gradModeBefore);
    }
  }

  private static void trainAtOnceAndOneAfterTheOther(Engine engine) throws Exception {
    PretrainedModel pm = TinyModels.tiny(9);
    try (NDManager root = engine.newBaseManager();
        BertEncoder enc = new BertEncoder(pm.weights(), root);
        TextTokenizer tok = pm.newTokenizer()) {
      EncodedExamples data =
          EncodedExamples.encode(
              tok,
              List.of("red apple", "green pear and a fig", "blue sky", "grey cloud", "a dog"),
              new int[] {0, 0, 1, 1, 0});
      List<Map<String, HostTensor>> sequential = new ArrayList<>();
      for (int c = 0; c < 2; c++) {
        sequential.add(train(engine, root, enc, data, c));
      }
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Future<Map<String, HostTensor>>> futures = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
          int client = c;
          futures.add(pool.submit(() -> train(engine, root, enc, data, client)));
        }
        for (int c = 0; c < 2; c++) {
          Map<String, HostTensor> got = futures.get(c).get();
          for (var e : sequential.get(c).entrySet()) {
            assertArrayEquals(e.getValue().data(), got.get(e.getKey()).data(), 0f, e.getKey());
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private static Map<String, HostTensor> train(
      Engine engine, NDManager root, BertEncoder enc, EncodedExamples data, int client) {
    Engines.gradModeOffOnThisThread();
    Engines.intraOpThreads(1);
    try (Adapter lora =
            AdapterRegistry.get("lora").create(Map.of("rank", "4", "dropout", "0.2"), enc, 1);
        ClassificationHead head = new ClassificationHead(root, 32, 2, 2);
        AdamW opt = new AdamW(root)) {
      ClassifierModel model = new ClassifierModel(enc, lora, head);
      TrainConfig cfg =
          new TrainConfig(25, 3, 1e-2f, 0f, 0, TrainConfig.Schedule.CONSTANT, 1f, 100 + client);
      new LocalTrainer(model).train(data, cfg, opt, TrainListener.NONE);
      return model.state();
    }
  }
}
