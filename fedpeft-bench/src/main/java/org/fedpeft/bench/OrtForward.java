package org.fedpeft.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import org.fedpeft.model.TokenBatch;

/**
 * ONNX Runtime (CPU, all graph optimisations) running the original all-MiniLM-L6-v2 graph, then
 * mean pooling over the mask and L2 normalisation, as sentence-transformers does.
 */
final class OrtForward implements AutoCloseable {

  private final OrtEnvironment env;
  private final OrtSession session;

  /**
   * @param threads intra-op threads
   * @param spin whether idle ONNX Runtime threads spin-wait (its default) instead of sleeping
   */
  OrtForward(int threads, boolean spin) throws IOException, OrtException {
    env = OrtEnvironment.getEnvironment();
    byte[] onnx;
    try (InputStream in =
        OrtForward.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
      if (in == null) {
        throw new IOException("all-minilm-l6-v2.onnx not on the class path");
      }
      onnx = in.readAllBytes();
    }
    OrtSession.SessionOptions o = new OrtSession.SessionOptions();
    o.setIntraOpNumThreads(threads);
    o.setInterOpNumThreads(1);
    o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    o.addConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
    session = env.createSession(onnx, o);
  }

  /** Pooled, normalised embeddings of a batch, (batch, hidden). */
  float[][] embed(TokenBatch batch) throws OrtException {
    long[] shape = {batch.batchSize(), batch.seqLen()};
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.ids()), shape));
      in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.mask()), shape));
      if (session.getInputNames().contains("token_type_ids")) {
        in.put(
            "token_type_ids",
            OnnxTensor.createTensor(env, LongBuffer.wrap(new long[batch.ids().length]), shape));
      }
      try (OrtSession.Result r = session.run(in)) {
        OnnxTensor out = (OnnxTensor) r.get(0);
        long[] s = out.getInfo().getShape(); // (batch, seq, hidden)
        int seq = (int) s[1];
        int hidden = (int) s[2];
        FloatBuffer fb = out.getFloatBuffer();
        float[][] e = new float[batch.batchSize()][hidden];
        for (int b = 0; b < e.length; b++) {
          double[] sum = new double[hidden];
          int count = 0;
          for (int t = 0; t < seq; t++) {
            if (batch.mask()[b * seq + t] == 0) {
              continue;
            }
            count++;
            int base = (b * seq + t) * hidden;
            for (int j = 0; j < hidden; j++) {
              sum[j] += fb.get(base + j);
            }
          }
          double norm = 0;
          for (int j = 0; j < hidden; j++) {
            sum[j] /= Math.max(count, 1);
            norm += sum[j] * sum[j];
          }
          norm = Math.max(Math.sqrt(norm), 1e-12);
          for (int j = 0; j < hidden; j++) {
            e[b][j] = (float) (sum[j] / norm);
          }
        }
        return e;
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
