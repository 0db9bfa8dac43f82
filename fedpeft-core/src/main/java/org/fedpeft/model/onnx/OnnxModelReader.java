package org.fedpeft.model.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.tensor.HostTensor;

/**
 * A minimal reader of ONNX model files: the graph's nodes and its float initializers.
 *
 * <p>ONNX files are protocol-buffer messages ({@code onnx.ModelProto}). Only the fields needed to
 * extract weights and follow the graph are decoded: {@code ModelProto.graph} (7), {@code
 * GraphProto.node} (1) and {@code initializer} (5), {@code NodeProto.input} (1), {@code output}
 * (2), {@code name} (3), {@code op_type} (4) and {@code attribute} (5), {@code AttributeProto.name}
 * (1) and {@code t} (5), and {@code TensorProto} dims (1), data_type (2), float_data (4),
 * int64_data (7), name (8) and raw_data (9). Everything else is skipped by wire type.
 */
public final class OnnxModelReader {

  /** One node of the graph. */
  public record Node(String name, String opType, List<String> inputs, List<String> outputs) {}

  /** The decoded graph: nodes in file order and float initializers (including Constant nodes). */
  public record Graph(List<Node> nodes, Map<String, HostTensor> initializers) {}

  private static final int FLOAT = 1;
  private static final int INT64 = 7;

  private OnnxModelReader() {}

  /** Reads a whole ONNX model from its bytes. */
  public static Graph read(byte[] bytes, String sourceName) throws IOException {
    try {
      return readModel(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
    } catch (RuntimeException e) {
      throw new IOException(sourceName + ": not a readable ONNX model: " + e.getMessage(), e);
    }
  }

  private static Graph readModel(ByteBuffer buf) {
    Graph graph = null;
    while (buf.hasRemaining()) {
      long key = readVarint(buf);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (field == 7 && wire == 2) {
        graph = readGraph(slice(buf));
      } else {
        skip(buf, wire);
      }
    }
    if (graph == null) {
      throw new IllegalArgumentException("the model has no graph");
    }
    return graph;
  }

  private static Graph readGraph(ByteBuffer buf) {
    List<Node> nodes = new ArrayList<>();
    Map<String, HostTensor> inits = new LinkedHashMap<>();
    while (buf.hasRemaining()) {
      long key = readVarint(buf);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (field == 1 && wire == 2) {
        ByteBuffer nodeBuf = slice(buf);
        Node node = readNode(nodeBuf.duplicate().order(ByteOrder.LITTLE_ENDIAN), inits);
        nodes.add(node);
      } else if (field == 5 && wire == 2) {
        NamedTensor t = readTensor(slice(buf));
        if (t.tensor != null) {
          inits.put(t.name, t.tensor);
        }
      } else {
        skip(buf, wire);
      }
    }
    return new Graph(List.copyOf(nodes), inits);
  }

  private static Node readNode(ByteBuffer buf, Map<String, HostTensor> inits) {
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    String name = "";
    String op = "";
    HostTensor constant = null;
    while (buf.hasRemaining()) {
      long key = readVarint(buf);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (wire != 2) {
        skip(buf, wire);
        continue;
      }
      ByteBuffer value = slice(buf);
      switch (field) {
        case 1 -> inputs.add(string(value));
        case 2 -> outputs.add(string(value));
        case 3 -> name = string(value);
        case 4 -> op = string(value);
        case 5 -> {
          HostTensor t = readAttributeTensor(value);
          if (t != null) {
            constant = t;
          }
        }
        default -> {}
      }
    }
    if ("Constant".equals(op) && constant != null && outputs.size() == 1) {
      inits.put(outputs.get(0), constant);
    }
    return new Node(name, op, List.copyOf(inputs), List.copyOf(outputs));
  }

  private static HostTensor readAttributeTensor(ByteBuffer buf) {
    HostTensor t = null;
    while (buf.hasRemaining()) {
      long key = readVarint(buf);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (field == 5 && wire == 2) {
        t = readTensor(slice(buf)).tensor;
      } else {
        skip(buf, wire);
      }
    }
    return t;
  }

  private record NamedTensor(String name, HostTensor tensor) {}

  /** Decodes a TensorProto; integer tensors are converted to float, other types skipped. */
  private static NamedTensor readTensor(ByteBuffer buf) {
    List<Long> dims = new ArrayList<>();
    int dataType = 0;
    String name = "";
    ByteBuffer raw = null;
    List<Float> floats = new ArrayList<>();
    List<Long> longs = new ArrayList<>();
    while (buf.hasRemaining()) {
      long key = readVarint(buf);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      switch (field) {
        case 1 -> {
          if (wire == 2) {
            ByteBuffer p = slice(buf);
            while (p.hasRemaining()) {
              dims.add(readVarint(p));
            }
          } else {
            dims.add(readVarint(buf));
          }
        }
        case 2 -> dataType = (int) readVarint(buf);
        case 4 -> {
          if (wire == 2) {
            ByteBuffer p = slice(buf);
            while (p.hasRemaining()) {
              floats.add(p.getFloat());
            }
          } else {
            floats.add(buf.getFloat());
          }
        }
        case 7 -> {
          if (wire == 2) {
            ByteBuffer p = slice(buf);
            while (p.hasRemaining()) {
              longs.add(readVarint(p));
            }
          } else {
            longs.add(readVarint(buf));
          }
        }
        case 8 -> name = string(slice(buf));
        case 9 -> raw = slice(buf);
        default -> skip(buf, wire);
      }
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    int n = Math.toIntExact(HostTensor.numel(shape));
    float[] data = new float[n];
    if (dataType == FLOAT) {
      if (raw != null) {
        raw.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
      } else if (floats.size() == n) {
        for (int i = 0; i < n; i++) {
          data[i] = floats.get(i);
        }
      } else {
        return new NamedTensor(name, null);
      }
    } else if (dataType == INT64) {
      if (raw != null) {
        for (int i = 0; i < n; i++) {
          data[i] = raw.order(ByteOrder.LITTLE_ENDIAN).getLong(i * 8);
        }
      } else if (longs.size() == n) {
        for (int i = 0; i < n; i++) {
          data[i] = longs.get(i);
        }
      } else {
        return new NamedTensor(name, null);
      }
    } else {
      return new NamedTensor(name, null);
    }
    return new NamedTensor(name, new HostTensor(shape, data));
  }

  private static String string(ByteBuffer b) {
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static ByteBuffer slice(ByteBuffer buf) {
    int len = Math.toIntExact(readVarint(buf));
    if (len < 0 || len > buf.remaining()) {
      throw new IllegalArgumentException("length-delimited field runs past the end of its message");
    }
    ByteBuffer s = buf.slice(buf.position(), len).order(ByteOrder.LITTLE_ENDIAN);
    buf.position(buf.position() + len);
    return s;
  }

  private static void skip(ByteBuffer buf, int wire) {
    switch (wire) {
      case 0 -> readVarint(buf);
      case 1 -> buf.position(buf.position() + 8);
      case 2 -> slice(buf);
      case 5 -> buf.position(buf.position() + 4);
      default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wire);
    }
  }

  private static long readVarint(ByteBuffer buf) {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = buf.get();
      result |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new IllegalArgumentException("malformed varint");
  }
}
