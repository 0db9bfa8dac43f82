package org.fedpeft.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;
import org.fedpeft.data.Tasks;
import org.fedpeft.heads.ClassificationHead;
import org.fedpeft.io.Safetensors;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.peft.Adapter;
import org.fedpeft.peft.AdapterRegistry;
import org.fedpeft.peft.AdapterTensor;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.tensor.LowRank;
import org.fedpeft.train.Autograd;
import org.fedpeft.train.ClassifierModel;
import org.fedpeft.train.FrozenBase;
import org.fedpeft.train.LocalTrainer;

/**
 * Frozen factors for Ravan and Fed-SB (option {@code factors}) from a gradient, after LoRA-SB
 * (Ponkshe et al. 2024), which starts Fed-SB's frozen subspaces from the first full fine-tuning
 * step: the gradient G of the mean cross-entropy with respect to each target module's frozen weight
 * W (d_out x d_in), at the base model with the head drawn from the seed, over the first EXAMPLES
 * examples of a split; its top h r singular vectors give B (the left ones as columns, d_out x h r)
 * and A (the right ones as rows, h r x d_in), head i the vectors i r .. (i + 1) r - 1. The cores H
 * stay zero, so the adapted model still equals the base model at init.
 *
 * <p>G comes from LoRA of rank d_in with A = I, B = 0 and alpha = rank (scale 1) on the same
 * targets: its update is B A = B, so the gradient of B is the gradient of W. The targets must
 * therefore share one d_in. In a federation the split is data the server holds (for example the
 * task's validation split, which no client holds): the factors are computed once, before the run,
 * and every machine reads the same file.
 *
 * <p>Usage: {@code GradientFactors TASK SEED SPLIT EXAMPLES HEADS RANK TARGETS OUT} with SPLIT
 * {@code validation} or {@code train} and TARGETS joined by {@code +}, e.g. {@code GradientFactors
 * wordnet-noun-topic 1 validation 512 4 39 query+value /tmp/factors.safetensors}. Prints, per
 * module, the share of ||G||_F^2 the kept directions hold.
 */
public final class GradientFactors {

  private GradientFactors() {}

  /** The n x n identity, row-major. */
  static float[] identity(int n) {
    float[] eye = new float[n * n];
    for (int i = 0; i < n; i++) {
      eye[i * n + i] = 1f;
    }
    return eye;
  }

  /**
   * Checks that the first {@code count} of {@code vectors} are orthonormal (to 1e-4).
   *
   * @throws IllegalStateException naming {@code what} if they are not
   */
  static void requireOrthonormal(double[][] vectors, int count, String what) {
    for (int i = 0; i < count; i++) {
      for (int j = i; j < count; j++) {
        double dot = 0;
        for (int k = 0; k < vectors[i].length; k++) {
          dot += vectors[i][k] * vectors[j][k];
        }
        if (Math.abs(dot - (i == j ? 1 : 0)) > 1e-4) {
          throw new IllegalStateException(
              what
                  + " are not orthonormal: <"
                  + i
                  + ", "
                  + j
                  + "> = "
                  + dot
                  + " (the gradient has fewer than HEADS * RANK non-zero singular values?)");
        }
      }
    }
  }

  public static void main(String[] args) throws Exception {
    BenchSupport.Args cli =
        BenchSupport.Args.of(
            args, 8, 8, "GradientFactors TASK SEED SPLIT EXAMPLES HEADS RANK TARGETS OUT");
    String task = args[0];
    long seed = cli.count(1, "SEED", 0, 0);
    String split = args[2];
    int examples = cli.count(3, "EXAMPLES", 0);
    int heads = cli.count(4, "HEADS", 0);
    int rank = cli.count(5, "RANK", 0);
    String targets = args[6];
    Path out = Path.of(args[7]);
    int hr = heads * rank;
    System.out.println(MachineInfo.describe());
    TaskSplits splits = Tasks.load(task, seed, TaskOptions.defaults());
    Dataset data =
        switch (split) {
          case "validation" -> splits.validation();
          case "train" -> splits.train();
          default -> throw new IllegalArgumentException("SPLIT must be validation or train");
        };
    try (FrozenBase base = new FrozenBase(PretrainedModel.bundledMiniLm())) {
      EncodedExamples set = base.encode(data, splits.taskLabels());
      int n = Math.min(examples, set.size());
      int hidden = base.encoder().config().hiddenSize();
      Map<String, String> lora = new LinkedHashMap<>();
      lora.put("rank", Integer.toString(hidden));
      lora.put("alpha", Integer.toString(hidden));
      lora.put("dropout", "0");
      lora.put("targets", targets);
      NDManager root = base.root();
      try (Adapter a = AdapterRegistry.get("lora").create(lora, base.encoder(), seed);
          ClassificationHead head =
              new ClassificationHead(root, hidden, splits.labels().size(), seed)) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (AdapterTensor t : a.tensors()) {
          long[] shape = t.array().getShape().getShape();
          if (t.name().endsWith(".lora_A")) {
            if (shape[0] != shape[1]) {
              throw new IllegalArgumentException(
                  t.name()
                      + " is "
                      + Arrays.toString(shape)
                      + ": every target needs d_in = "
                      + hidden);
            }
            Adapter.Tensors.assign(t.array(), identity((int) shape[0]));
          } else if (t.name().endsWith(".lora_B")) {
            Adapter.Tensors.assign(t.array(), new float[Math.toIntExact(shape[0] * shape[1])]);
            String module = t.name().substring(0, t.name().length() - ".lora_B".length());
            grads.put(module, new float[Math.toIntExact(shape[0] * shape[1])]);
            shapes.put(module, shape);
          }
        }
        if (hr > hidden) {
          throw new IllegalArgumentException("HEADS * RANK = " + hr + " exceeds d_in " + hidden);
        }
        ClassifierModel model = new ClassifierModel(base.encoder(), a, head);
        long t0 = System.nanoTime();
        for (int from = 0; from < n; from += 16) {
          int[] idx = new int[Math.min(16, n - from)];
          for (int i = 0; i < idx.length; i++) {
            idx[i] = from + i;
          }
          try (NDScope scope = new NDScope();
              NDManager step = root.newSubManager()) {
            scope.suppressNotUsedWarning();
            TokenBatch b = set.batch(idx);
            Shape s = new Shape(b.batchSize(), b.seqLen());
            try (Autograd.Recording rec = Autograd.record()) {
              NDArray logits =
                  model.logits(step.create(b.ids(), s), step.create(b.mask(), s), true, null);
              // The mean over all n examples: each batch's sum of losses divided by n.
              rec.backward(
                  LocalTrainer.crossEntropy(logits, step.create(set.labelsOf(idx)))
                      .mul(step.create((float) idx.length / n)));
            }
            for (AdapterTensor t : a.tensors()) {
              if (t.name().endsWith(".lora_B")) {
                String module = t.name().substring(0, t.name().length() - ".lora_B".length());
                NDArray g = t.array().getGradient();
                float[] v = g.toFloatArray();
                float[] acc = grads.get(module);
                for (int k = 0; k < v.length; k++) {
                  acc[k] += v[k];
                }
                g.subi(g);
              }
            }
          }
        }
        System.out.printf(
            Locale.ROOT,
            "gradient over %d %s examples of %s (seed %d) in %.1f s%n",
            n,
            split,
            task,
            seed,
            (System.nanoTime() - t0) / 1e9);
        Map<String, HostTensor> factors = new LinkedHashMap<>();
        for (var e : grads.entrySet()) {
          int dOut = (int) shapes.get(e.getKey())[0];
          int dIn = (int) shapes.get(e.getKey())[1];
          LowRank.Svd svd =
              LowRank.svdOfSum(
                  List.of(new LowRank.Term(1.0, e.getValue(), identity(dIn), dIn)), dOut, dIn);
          float[] fa = new float[hr * dIn];
          float[] fb = new float[dOut * hr];
          double kept = 0;
          for (int j = 0; j < hr; j++) {
            kept += svd.values()[j] * svd.values()[j];
            for (int c = 0; c < dIn; c++) {
              fa[j * dIn + c] = (float) svd.right()[j][c];
            }
            for (int o = 0; o < dOut; o++) {
              fb[o * hr + j] = (float) svd.left()[j][o];
            }
          }
          requireOrthonormal(svd.right(), hr, e.getKey() + ".ravan_A rows");
          requireOrthonormal(svd.left(), hr, e.getKey() + ".ravan_B columns");
          factors.put(e.getKey() + ".ravan_A", new HostTensor(new long[] {hr, dIn}, fa));
          factors.put(e.getKey() + ".ravan_B", new HostTensor(new long[] {dOut, hr}, fb));
          System.out.printf(
              Locale.ROOT,
              "%s: top %d of %d directions hold %.3f of ||G||^2 (||G|| = %.3g)%n",
              e.getKey(),
              hr,
              svd.size(),
              kept / svd.energy(),
              Math.sqrt(svd.energy()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("source", "GradientFactors");
        meta.put("task", task);
        meta.put("seed", Long.toString(seed));
        meta.put("split", split);
        meta.put("examples", Integer.toString(n));
        meta.put("heads", Integer.toString(heads));
        meta.put("rank", Integer.toString(rank));
        Safetensors.write(out, factors, meta); // atomic: all of the new file or the old one
        System.out.println("factors: " + out);
      }
    }
  }
}
