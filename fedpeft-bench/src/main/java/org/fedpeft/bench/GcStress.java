package org.fedpeft.bench;

import java.nio.ByteBuffer;
import java.util.*;
import org.fedpeft.data.*;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.peft.*;
import org.fedpeft.train.*;

/**
 * A regression check for the NaN bug fixed on 2026-11-22: trains MiniLM + LoRA while another thread
 * fills freshly allocated direct buffers with 0xFF (NaN bit patterns) and calls System.gc(). Before
 * the fix (scalars passed to DJL as Java numbers inside the autograd graph) every run ended
 * "training diverged: loss is NaN at step 2" (6 of 6); after it, none. Usage: GcStress [stress]
 * (prints the loss of each run and the count of NaN runs).
 */
public final class GcStress {
  public static void main(String[] a) throws Exception {
    boolean stress = a.length > 0 && a[0].equals("stress");
    TaskSplits splits =
        Tasks.load(Tasks.NOUN_TOPIC, 42, TaskOptions.defaults().withMaxTrain(2000).withMaxTest(10));
    try (FrozenBase base = new FrozenBase(PretrainedModel.bundledMiniLm())) {
      EncodedExamples data = base.encode(splits.train());
      Thread junk =
          new Thread(
              () -> {
                List<ByteBuffer> keep = new ArrayList<>();
                while (true) {
                  for (int j = 0; j < 50; j++) {
                    ByteBuffer b = ByteBuffer.allocateDirect(1 << 16);
                    while (b.hasRemaining()) b.put((byte) 0xFF);
                    keep.add(b);
                  }
                  if (keep.size() > 400) keep.subList(0, 200).clear();
                  System.gc();
                  try {
                    Thread.sleep(20);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      junk.setDaemon(true);
      if (stress) junk.start();
      int nan = 0;
      for (int run = 0; run < 6; run++) {
        try (Adapter ad =
                AdapterRegistry.get("lora").create(Map.of("rank", "8"), base.encoder(), 1);
            ClassificationHead h =
                new ClassificationHead(base.root(), 384, splits.labels().size(), 2);
            AdamW opt = new AdamW(base.root())) {
          ClassifierModel m = new ClassifierModel(base.encoder(), ad, h);
          TrainConfig cfg =
              new TrainConfig(40, 16, 2e-3f, 0f, 0, TrainConfig.Schedule.CONSTANT, 1f, 11 + run);
          try {
            double l = new LocalTrainer(m).train(data, cfg, opt, TrainListener.NONE);
            System.out.println("run " + run + " loss " + l);
          } catch (IllegalStateException e) {
            nan++;
            System.out.println("run " + run + ": " + e.getMessage());
            for (var en : m.state().entrySet()) {
              if (!en.getValue().allFinite())
                System.out.println("  non-finite adapter/head tensor " + en.getKey());
            }
            for (var en : base.encoder().heldTensorNames()) {
              float[] w = base.encoder().weight(en).toFloatArray();
              boolean bad = false;
              for (float f : w)
                if (!Float.isFinite(f)) {
                  bad = true;
                  break;
                }
              if (bad) System.out.println("  non-finite encoder weight " + en);
            }
            if (run >= 1) break;
          }
        }
      }
      System.out.println((stress ? "stress" : "plain") + ": NaN runs " + nan + " of 6");
    }
  }
}
