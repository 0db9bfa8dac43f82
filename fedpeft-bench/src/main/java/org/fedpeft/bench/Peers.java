package org.fedpeft.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedpeft.io.Safetensors;
import org.fedpeft.model.EncodedExamples;
import org.fedpeft.model.EncoderHooks;
import org.fedpeft.model.HuggingFaceFolder;
import org.fedpeft.model.Precision;
import org.fedpeft.model.PretrainedModel;
import org.fedpeft.model.SentenceEmbedder;
import org.fedpeft.model.TokenBatch;
import org.fedpeft.tensor.HostTensor;
import org.fedpeft.tensor.Vectors;

/**
 * Peer comparison, all contenders alternating in one run on the same batches (16 x 128 tokens):
 *
 * <ul>
 *   <li>fedpeft training step (MiniLM + LoRA r=8 on query/value + head, AdamW, dropout off) vs the
 *       same computation in PyTorch eager (a {@code /usr/bin/python3} child process running
 *       scripts/torch_peer.py on weights, initial values and batches exported by fedpeft);
 *   <li>the same fedpeft training step with a bfloat16 frozen base ({@link Precision#BF16}: frozen
 *       products in bfloat16 with float32 accumulation; LoRA, head and optimiser float32) vs the
 *       PyTorch peer's step with its frozen tensors in bfloat16 and its forward under CPU autocast
 *       to bfloat16 (which also runs LoRA's products in bfloat16);
 *   <li>fedpeft forward (sentence embeddings, float32) vs ONNX Runtime on the same batches;
 *   <li>the same forward with the bfloat16 frozen base (its embeddings' cosine similarity to ONNX
 *       Runtime's is printed).
 * </ul>
 *
 * <p>Each round runs one of each, in an order rotated every round; the first rounds are warm-up.
 * Prints medians, ratios and GFLOP/s against the measured matmul peak; the last lines are the
 * ratios: {@code ratio forward_bf16/ort_forward}, {@code ratio train_bf16/train}, {@code ratio
 * fedpeft_bf16/pytorch_bf16}, {@code ratio train_bf16/ort_forward}, then {@code ratio
 * train/ort_forward}, {@code ratio forward/ort_forward} and {@code ratio fedpeft/pytorch}.
 *
 * <p>Usage: {@code Peers PEER_SCRIPT [--warmup N] [--timed N] [--threads N] [--no-torch]
 * [--ort-spin true|false] [--python PATH]}
 */
public final class Peers {

  public static void main(String[] args) throws Exception {
    BenchSupport.Args cli =
        BenchSupport.Args.of(
            args,
            1,
            Integer.MAX_VALUE,
            "Peers PEER_SCRIPT [--warmup N] [--timed N] [--threads N] [--no-torch] [--ort-spin"
                + " true|false] [--python PATH]");
    Path script = cli.file(0, "PEER_SCRIPT");
    int warmup = 5;
    int timed = 25;
    int threads = 2;
    boolean torch = true;
    boolean ortSpin = true;
    String python = "/usr/bin/python3";
    for (int i = 1; i < args.length; i++) {
      String option = args[i];
      if (List.of("--warmup", "--timed", "--threads", "--ort-spin", "--python").contains(option)
          && i + 1 == args.length) {
        cli.refuse(option + " needs a value");
      }
      switch (option) {
        case "--warmup" -> warmup = cli.count(++i, "--warmup", 0, 0);
        case "--timed" -> timed = cli.count(++i, "--timed", 0);
        case "--threads" -> threads = cli.count(++i, "--threads", 0);
        case "--no-torch" -> torch = false;
        case "--ort-spin" ->
            ortSpin = cli.choice(++i, "--ort-spin", "", "true", "false").equals("true");
        case "--python" -> python = args[++i];
        default -> cli.refuse("unknown option " + option);
      }
    }
    System.out.println(MachineInfo.describe());
    System.out.println("load at start: " + BenchSupport.load());
    System.out.println(
        "OMP_WAIT_POLICY="
            + System.getenv("OMP_WAIT_POLICY")
            + ", threads="
            + threads
            + ", ONNX Runtime spinning="
            + ortSpin);
    List<MatmulPeak.Peak> peaks = MatmulPeak.measureAll(8);
    for (MatmulPeak.Peak p : peaks) {
      System.out.println(p.line());
    }
    System.out.println(PageTouch.measure(6));
    double[] peak = {peaks.get(0).n(), peaks.get(0).gflops()}; // fp32, the percentages' base

    int rounds = warmup + timed;
    int nBatches = 8;
    EncodedExamples data = BenchSupport.examples(nBatches, 2024);
    PretrainedModel pm = PretrainedModel.bundledMiniLm();
    Path dir = Files.createTempDirectory("fedpeft-peers");
    List<Double> tTrain = new ArrayList<>();
    List<Double> tTrainBf16 = new ArrayList<>();
    List<Double> bf16Losses = new ArrayList<>();
    List<Double> tTorch = new ArrayList<>();
    List<Double> tTorchBf16 = new ArrayList<>();
    List<Double> torchBf16Losses = new ArrayList<>();
    List<Double> tFwd = new ArrayList<>();
    List<Double> tFwdBf16 = new ArrayList<>();
    List<Double> tOrt = new ArrayList<>();
    List<double[]> losses = new ArrayList<>(); // {fedpeft, torch}
    double maxEmbDiff = 0;
    double minCosBf16 = 1;
    try (FedpeftTrainer ft = new FedpeftTrainer(pm, 0f);
        FedpeftTrainer ft16 = new FedpeftTrainer(pm, 0f, Precision.BF16);
        OrtForward ort = new OrtForward(threads, ortSpin);
        org.fedpeft.model.TextTokenizer tok = pm.newTokenizer()) {
      SentenceEmbedder embedder = new SentenceEmbedder(ft.encoder, tok, EncoderHooks.NONE);
      SentenceEmbedder embedder16 = new SentenceEmbedder(ft16.encoder, tok, EncoderHooks.NONE);
      int[] order = ft.order();
      Process proc = null;
      PrintWriter toPeer = null;
      BufferedReader fromPeer = null;
      if (torch) {
        export(dir, pm, ft, data, nBatches, order);
        ProcessBuilder pb =
            new ProcessBuilder(python, script.toString(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("PEER_THREADS", Integer.toString(threads));
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        proc = pb.start();
        toPeer =
            new PrintWriter(
                new java.io.OutputStreamWriter(proc.getOutputStream(), StandardCharsets.UTF_8),
                true);
        fromPeer =
            new BufferedReader(
                new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8));
        String ready = fromPeer.readLine();
        if (ready == null || !ready.startsWith("ready")) {
          throw new IllegalStateException("peer did not start: " + ready);
        }
        System.out.println("peer: " + ready);
      }
      // 0 fedpeft step, 1 fedpeft forward, 2 ONNX Runtime forward, 3 fedpeft step with a bf16
      // base, 4 fedpeft forward with a bf16 base, 5 PyTorch step, 6 PyTorch step with a bf16 base.
      int contenders = torch ? 7 : 5;
      for (int r = 0; r < rounds; r++) {
        int b = r % nBatches;
        TokenBatch batch = BenchSupport.batch(data, b);
        double fedLoss = Double.NaN;
        double torchLoss = Double.NaN;
        for (int j = 0; j < contenders; j++) {
          int c = (j + r) % contenders;
          switch (c) {
            case 0 -> {
              double[] st = ft.step(FedpeftTrainer.slice(data, b));
              fedLoss = st[1];
              if (r >= warmup) {
                tTrain.add(st[0]);
              }
            }
            case 1 -> {
              float[][] e = embed(embedder, batch, tFwd, r >= warmup);
              if (r == 0) {
                float[][] ref = ort.embed(batch);
                for (int i = 0; i < e.length; i++) {
                  for (int k = 0; k < e[i].length; k++) {
                    maxEmbDiff = Math.max(maxEmbDiff, Math.abs(e[i][k] - ref[i][k]));
                  }
                }
              }
            }
            case 2 -> timed(tOrt, r >= warmup, () -> ort.embed(batch));
            case 3 ->
                step(ft16, FedpeftTrainer.slice(data, b), bf16Losses, tTrainBf16, r >= warmup);
            case 4 -> {
              float[][] e = embed(embedder16, batch, tFwdBf16, r >= warmup);
              if (r == 0) {
                float[][] ref = ort.embed(batch);
                for (int i = 0; i < e.length; i++) {
                  minCosBf16 = Math.min(minCosBf16, Vectors.cosine(e[i], ref[i]));
                }
              }
            }
            case 5 -> {
              double[] st = peerStep(toPeer, fromPeer, proc, "step", r);
              torchLoss = st[1];
              if (r >= warmup) {
                tTorch.add(st[0]);
              }
            }
            default -> {
              double[] st = peerStep(toPeer, fromPeer, proc, "step16", r);
              torchBf16Losses.add(st[1]);
              if (r >= warmup) {
                tTorchBf16.add(st[0]);
              }
            }
          }
        }
        losses.add(new double[] {fedLoss, torchLoss});
      }
      if (torch) {
        toPeer.println("quit");
        proc.waitFor();
      }
    }
    System.out.println("load at end: " + BenchSupport.load());

    var c = pm.config();
    double fwdFlops = Flops.forward(c, BenchSupport.BATCH, BenchSupport.SEQ, 0, Set.of());
    double trainFlops =
        Flops.trainStep(
            c,
            BenchSupport.BATCH,
            BenchSupport.SEQ,
            8,
            Set.of("attention.self.query", "attention.self.value"),
            BenchSupport.LABELS);
    System.out.println(
        BenchSupport.fmt(
            "FLOPs per batch of %dx%d: forward %.2f G, training step %.2f G",
            BenchSupport.BATCH, BenchSupport.SEQ, fwdFlops / 1e9, trainFlops / 1e9));
    System.out.println(BenchSupport.fmt("embedding max |fedpeft - ORT| = %.2e", maxEmbDiff));
    System.out.println(
        BenchSupport.fmt("embedding bf16 base: min cosine to ORT = %.6f", minCosBf16));
    double worstRel = 0;
    int checked = Math.min(5, losses.size());
    if (torch) {
      for (int i = 0; i < checked; i++) {
        double[] l = losses.get(i);
        double rel = Math.abs(l[0] - l[1]) / Math.abs(l[1]);
        worstRel = Math.max(worstRel, rel);
        System.out.println(
            BenchSupport.fmt(
                "step %d loss: fedpeft %.7f, pytorch %.7f, rel diff %.1e", i, l[0], l[1], rel));
      }
      System.out.println(
          BenchSupport.fmt(
              "first %d losses agree within %.1e relative: %s",
              checked, worstRel, worstRel <= 1e-4 ? "yes" : "NO"));
    }
    compareLosses("fedpeft bf16 base", "fp32 base", bf16Losses, losses);
    if (torch) {
      compareLosses("pytorch bf16 autocast", "fedpeft fp32 base", torchBf16Losses, losses);
    }
    double mTrain = BenchSupport.median(tTrain);
    double mTrainBf16 = BenchSupport.median(tTrainBf16);
    double mFwd = BenchSupport.median(tFwd);
    double mFwdBf16 = BenchSupport.median(tFwdBf16);
    double mOrt = BenchSupport.median(tOrt);
    report("fedpeft train step", tTrain, trainFlops, peak[1]);
    report("fedpeft train bf16", tTrainBf16, trainFlops, peak[1]);
    if (torch) {
      report("pytorch train step", tTorch, trainFlops, peak[1]);
      report("pytorch train bf16", tTorchBf16, trainFlops, peak[1]);
    }
    report("fedpeft forward", tFwd, fwdFlops, peak[1]);
    report("fedpeft forward bf16", tFwdBf16, fwdFlops, peak[1]);
    report("onnxruntime forward", tOrt, fwdFlops, peak[1]);
    System.out.println("samples fedpeft train: " + BenchSupport.list(tTrain));
    System.out.println("samples fedpeft train bf16: " + BenchSupport.list(tTrainBf16));
    if (torch) {
      System.out.println("samples pytorch train: " + BenchSupport.list(tTorch));
      System.out.println("samples pytorch train bf16: " + BenchSupport.list(tTorchBf16));
    }
    System.out.println("samples fedpeft forward: " + BenchSupport.list(tFwd));
    System.out.println("samples fedpeft forward bf16: " + BenchSupport.list(tFwdBf16));
    System.out.println("samples onnxruntime forward: " + BenchSupport.list(tOrt));
    System.out.println(BenchSupport.fmt("ratio forward_bf16/ort_forward: %.3f", mFwdBf16 / mOrt));
    System.out.println(BenchSupport.fmt("ratio train_bf16/train: %.3f", mTrainBf16 / mTrain));
    System.out.println(
        torch
            ? BenchSupport.fmt(
                "ratio fedpeft_bf16/pytorch_bf16: %.3f",
                mTrainBf16 / BenchSupport.median(tTorchBf16))
            : "ratio fedpeft_bf16/pytorch_bf16: n/a");
    // The bf16 line comes before the last three, which scripts read by position.
    System.out.println(BenchSupport.fmt("ratio train_bf16/ort_forward: %.3f", mTrainBf16 / mOrt));
    System.out.println(BenchSupport.fmt("ratio train/ort_forward: %.3f", mTrain / mOrt));
    System.out.println(BenchSupport.fmt("ratio forward/ort_forward: %.3f", mFwd / mOrt));
    System.out.println(
        torch
            ? BenchSupport.fmt("ratio fedpeft/pytorch: %.3f", mTrain / BenchSupport.median(tTorch))
            : "ratio fedpeft/pytorch: n/a");
  }

  /**
   * Sends the PyTorch peer {@code command} (step or step16) for round {@code round}, waits for its
   * answer, then until it is idle; returns {seconds, loss}.
   */
  private static double[] peerStep(
      PrintWriter toPeer, BufferedReader fromPeer, Process proc, String command, int round)
      throws IOException, InterruptedException {
    toPeer.println(command + " " + round);
    String line = fromPeer.readLine();
    if (line == null) {
      throw new IllegalStateException("peer exited early");
    }
    String[] p = line.trim().split("\\s+");
    if (!p[0].equals(command)) {
      throw new IllegalStateException("peer answered '" + line + "' to " + command);
    }
    double[] r = {Double.parseDouble(p[2]), Double.parseDouble(p[3])};
    waitIdle(proc.pid());
    return r;
  }

  /** The first five losses of a variant beside the default fedpeft step's. */
  private static void compareLosses(
      String variant, String baseline, List<Double> variantLosses, List<double[]> losses) {
    for (int i = 0; i < Math.min(5, variantLosses.size()); i++) {
      double v = variantLosses.get(i);
      double base = losses.get(i)[0];
      System.out.println(
          BenchSupport.fmt(
              "step %d loss: %s %.7f, %s %.7f, rel diff %.1e",
              i, variant, v, baseline, base, Math.abs(v - base) / Math.abs(base)));
    }
  }

  /**
   * Waits until process {@code pid} uses no CPU for 50 ms (at most 3 s). After its step the PyTorch
   * peer's BLAS threads keep spinning for a while; the next contender would otherwise share the
   * cores with them: the fedpeft fp32 step, which followed the peer's step in most rounds, took
   * 0.320 s (median) with the PyTorch peer in the rotation and 0.278 s without it on a quiet Zen 5.
   */
  private static void waitIdle(long pid) throws IOException, InterruptedException {
    Path stat = Path.of("/proc/" + pid + "/stat");
    long deadline = System.nanoTime() + 3_000_000_000L;
    long before = cpuTicks(stat);
    while (System.nanoTime() < deadline) {
      Thread.sleep(50);
      long now = cpuTicks(stat);
      if (now == before) {
        return;
      }
      before = now;
    }
  }

  /** User plus system CPU ticks of a process, from its /proc stat line (fields 14 and 15). */
  private static long cpuTicks(Path stat) throws IOException {
    String line = Files.readString(stat);
    String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** Work whose time a contender measures. */
  private interface Work {
    void run() throws Exception;
  }

  /** Runs {@code work} and, when {@code record}, adds its time in seconds to {@code times}. */
  private static void timed(List<Double> times, boolean record, Work work) throws Exception {
    long t0 = System.nanoTime();
    work.run();
    double s = (System.nanoTime() - t0) / 1e9;
    if (record) {
      times.add(s);
    }
  }

  /**
   * The sentence embeddings of {@code batch}; their time goes to {@code times} when {@code record}.
   */
  private static float[][] embed(
      SentenceEmbedder embedder, TokenBatch batch, List<Double> times, boolean record) {
    long t0 = System.nanoTime();
    float[][] e = embedder.embedBatch(batch);
    if (record) {
      times.add((System.nanoTime() - t0) / 1e9);
    }
    return e;
  }

  /** One training step: its loss always, its time when {@code record}. */
  private static void step(
      FedpeftTrainer trainer,
      EncodedExamples batch,
      List<Double> losses,
      List<Double> times,
      boolean record) {
    double[] st = trainer.step(batch);
    losses.add(st[1]);
    if (record) {
      times.add(st[0]);
    }
  }

  private static void report(String what, List<Double> t, double flops, double peak) {
    double m = BenchSupport.median(t);
    double g = flops / m / 1e9;
    System.out.println(
        BenchSupport.fmt(
            "%-22s %s, %.1f GFLOP/s = %.0f%% of fp32 matmul peak",
            what + ":", BenchSupport.summary(t), g, 100 * g / peak));
  }

  /** Writes the model folder, initial adapter/head values, batches and settings for the peer. */
  private static void export(
      Path dir,
      PretrainedModel pm,
      FedpeftTrainer ft,
      EncodedExamples data,
      int nBatches,
      int[] order)
      throws IOException {
    HuggingFaceFolder.save(pm, dir.resolve("model"));
    Safetensors.write(dir.resolve("init.safetensors"), ft.model.state(), Map.of());
    Map<String, HostTensor> b = new LinkedHashMap<>();
    for (int k = 0; k < nBatches; k++) {
      // The batch as LocalTrainer visits it (its seeded order within the batch).
      int[] idx = new int[BenchSupport.BATCH];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = k * BenchSupport.BATCH + order[i];
      }
      TokenBatch tb = data.batch(idx);
      long[] labels = data.labelsOf(idx);
      long[] shape = {tb.batchSize(), tb.seqLen()};
      b.put("ids." + k, new HostTensor(shape, toFloat(tb.ids())));
      b.put("mask." + k, new HostTensor(shape, toFloat(tb.mask())));
      b.put("labels." + k, new HostTensor(new long[] {labels.length}, toFloat(labels)));
    }
    // Token ids < 2^24 are exact in float32; the peer converts them back to int64.
    Safetensors.write(dir.resolve("batches.safetensors"), b, Map.of());
    String settings =
        BenchSupport.fmt(
            "{\"lr\": %s, \"weight_decay\": %s, \"max_grad_norm\": %s, \"lora_scaling\": %s,"
                + " \"lora_modules\": [\"attention.self.query\", \"attention.self.value\"],"
                + " \"batches\": %d}",
            Float.toString(FedpeftTrainer.LR),
            Float.toString(FedpeftTrainer.WEIGHT_DECAY),
            Float.toString(FedpeftTrainer.MAX_GRAD_NORM),
            Float.toString(16f / 8f),
            nBatches);
    Files.writeString(dir.resolve("settings.json"), settings);
  }

  private static float[] toFloat(long[] x) {
    float[] f = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      f[i] = x[i];
    }
    return f;
  }
}
