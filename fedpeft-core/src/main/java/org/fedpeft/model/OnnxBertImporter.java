package org.fedpeft.model;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedpeft.model.onnx.OnnxModelReader;
import org.fedpeft.tensor.HostTensor;

/**
 * Turns a BERT encoder exported to ONNX (as Hugging Face Optimum / sentence-transformers export it)
 * into {@link BertWeights}.
 *
 * <p>Biases and LayerNorm parameters keep their PyTorch names in the export, but the matmul weights
 * get generated names ({@code onnx::MatMul_787}) and are stored transposed, as (in, out). They are
 * bound to their layers by following the graph: {@code MatMul(x, W) -> Add(named bias, .)}.
 */
public final class OnnxBertImporter {

  private OnnxBertImporter() {}

  /** Extracts the weights and infers the configuration from tensor shapes. */
  public static BertWeights importBert(OnnxModelReader.Graph graph, String source, int numHeads)
      throws IOException {
    Map<String, HostTensor> inits = graph.initializers();
    Map<String, HostTensor> named = new LinkedHashMap<>();
    for (var e : inits.entrySet()) {
      String n = BertWeights.withoutTaskModelPrefix(e.getKey());
      if (n.startsWith("embeddings.") || n.startsWith("encoder.")) {
        named.put(n, e.getValue());
      }
    }
    // Which node consumes each tensor name.
    Map<String, OnnxModelReader.Node> addByInput = new HashMap<>();
    for (OnnxModelReader.Node node : graph.nodes()) {
      if (node.opType().equals("Add")) {
        for (String in : node.inputs()) {
          addByInput.put(in, node);
        }
      }
    }
    for (OnnxModelReader.Node node : graph.nodes()) {
      if (!node.opType().equals("MatMul") || node.inputs().size() != 2) {
        continue;
      }
      HostTensor w = inits.get(node.inputs().get(1));
      if (w == null || w.shape().length != 2) {
        continue;
      }
      OnnxModelReader.Node add = addByInput.get(node.outputs().get(0));
      if (add == null) {
        continue;
      }
      for (String in : add.inputs()) {
        String n = BertWeights.withoutTaskModelPrefix(in);
        if (n.endsWith(".bias") && n.startsWith("encoder.") && inits.containsKey(in)) {
          named.put(n.substring(0, n.length() - 5) + ".weight", transpose(w));
        }
      }
    }
    HostTensor words = required(named, "embeddings.word_embeddings.weight", source);
    HostTensor pos = required(named, "embeddings.position_embeddings.weight", source);
    HostTensor types = required(named, "embeddings.token_type_embeddings.weight", source);
    HostTensor ffnIn = required(named, "encoder.layer.0.intermediate.dense.weight", source);
    int layers = 0;
    while (named.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) {
      layers++;
    }
    BertConfig config =
        new BertConfig(
            (int) words.shape()[0],
            (int) words.shape()[1],
            layers,
            numHeads,
            (int) ffnIn.shape()[0],
            (int) pos.shape()[0],
            (int) types.shape()[0],
            layerNormEps(inits));
    return new BertWeights(config, named, source);
  }

  /**
   * The epsilon of the first LayerNorm, which the exporter decomposes into {@code ReduceMean ->
   * Add(eps) -> Sqrt}; 1e-12 (BERT's default) when it cannot be found.
   */
  private static float layerNormEps(Map<String, HostTensor> inits) {
    HostTensor eps = inits.get("/embeddings/LayerNorm/Constant_1_output_0");
    return eps != null && eps.size() == 1 && eps.data()[0] > 0 ? eps.data()[0] : 1e-12f;
  }

  private static HostTensor required(Map<String, HostTensor> m, String name, String source)
      throws IOException {
    HostTensor t = m.get(name);
    if (t == null) {
      throw new IOException(source + ": the ONNX graph has no tensor " + name);
    }
    return t;
  }

  private static HostTensor transpose(HostTensor w) {
    int rows = (int) w.shape()[0];
    int cols = (int) w.shape()[1];
    float[] src = w.data();
    float[] dst = new float[src.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        dst[c * rows + r] = src[r * cols + c];
      }
    }
    return new HostTensor(new long[] {cols, rows}, dst);
  }
}
