package org.fedpeft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two identical training runs on the bundled MiniLM, each on a fresh thread (as simulated clients
 * run), end bit-identical. Guards encoder speed changes: a fused-QKV variant once made a client's
 * loss NaN at random. Slow (run with -Pslow).
 */
@Tag("slow")
class MiniLmDeterminismTest {

  @Test
  void sameSeedSameAdapterOnFreshThreads() throws Exception {
    TaskSplits splits =
        Tasks.load(Tasks.NOUN_TOPIC, 42, TaskOptions.defaults().withMaxTrain(400).withMaxTest(10));
    try (FrozenBase base = new FrozenBase(PretrainedModel.bundledMiniLm())) {
      EncodedExamples data = base.encode(splits.train());
      Map<String, HostTensor> first = null;
      for (int run = 0; run < 3; run++) {
        java.util.concurrent.atomic.AtomicReference<Map<String, HostTensor>> out =
            new java.util.concurrent.atomic.AtomicReference<>();
        Thread t =
            new Thread(
                () -> {
                  org.fedpeft.engine.Engines.gradModeOffOnThisThread();
                  try (Adapter a =
                          AdapterRegistry.get("lora")
                              .create(Map.of("rank", "8"), base.encoder(), 1);
                      ClassificationHead h =
                          new ClassificationHead(base.root(), 384, splits.labels().size(), 2);
                      AdamW opt = new AdamW(base.root())) {
                    ClassifierModel m = new ClassifierModel(base.encoder(), a, h);
                    TrainConfig cfg =
                        new TrainConfig(
                            25, 16, 2e-3f, 0f, 0, TrainConfig.Schedule.CONSTANT, 1f, 11);
                    new LocalTrainer(m).train(data, cfg, opt, TrainListener.NONE);
                    out.set(m.state());
                  }
                });
        t.start();
        t.join();
        if (first == null) {
          first = out.get();
        } else {
          for (String k : List.copyOf(first.keySet())) {
            assertEquals(first.get(k), out.get().get(k), k + " differs in run " + run);
          }
        }
      }
    }
  }
}
