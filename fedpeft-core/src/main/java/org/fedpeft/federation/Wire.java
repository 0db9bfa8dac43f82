package org.fedpeft.federation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.fedpeft.config.StringValues;
import org.fedpeft.io.Safetensors;
import org.fedpeft.io.SafetensorsDtype;
import org.fedpeft.io.SafetensorsFile;
import org.fedpeft.tensor.HostTensor;

/**
 * Shared helpers of the message types: immutable sorted copies, the flat {@code prefix.key}
 * metadata layout of messages in safetensors form, and exact number formatting.
 */
final class Wire {

  /** Metadata key naming the message type. */
  static final String KIND = "fedpeft.message";

  private Wire() {}

  /** An unmodifiable sorted copy; rejects null keys and values, naming {@code what}. */
  static <V> SortedMap<String, V> sortedCopy(Map<String, V> map, String what) {
    if (map == null) {
      throw new NullPointerException(what + " is null");
    }
    TreeMap<String, V> copy = new TreeMap<>();
    for (Map.Entry<String, V> e : map.entrySet()) {
      if (e.getKey() == null) {
        throw new NullPointerException(what + " has a null name");
      }
      if (e.getValue() == null) {
        throw new NullPointerException(what + " '" + e.getKey() + "' is null");
      }
      copy.put(e.getKey(), e.getValue());
    }
    return Collections.unmodifiableSortedMap(copy);
  }

  /** Adds every entry of {@code values} to {@code meta} under {@code prefix + key}. */
  static void putPrefixed(Map<String, String> meta, String prefix, Map<String, String> values) {
    for (Map.Entry<String, String> e : values.entrySet()) {
      meta.put(prefix + e.getKey(), e.getValue());
    }
  }

  /** The entries of {@code meta} whose key starts with {@code prefix}, with the prefix removed. */
  static SortedMap<String, String> withPrefix(Map<String, String> meta, String prefix) {
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> e : meta.entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        out.put(e.getKey().substring(prefix.length()), e.getValue());
      }
    }
    return out;
  }

  /** Doubles as text that parses back to the same value (NaN and infinities included). */
  static SortedMap<String, String> doublesToText(Map<String, Double> values) {
    TreeMap<String, String> out = new TreeMap<>();
    values.forEach((k, v) -> out.put(k, Double.toString(v)));
    return out;
  }

  static SortedMap<String, Double> textToDoubles(Map<String, String> values, String source) {
    TreeMap<String, Double> out = new TreeMap<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      out.put(e.getKey(), parseDouble(e.getValue(), "metric '" + e.getKey() + "'", source));
    }
    return out;
  }

  /** Checks that the metadata names the expected message kind. */
  static void checkKind(SafetensorsFile file, String expected) {
    String kind = file.metadata().get(KIND);
    if (!expected.equals(kind)) {
      throw new IllegalArgumentException(
          file.source()
              + ": expected a "
              + expected
              + " message but "
              + KIND
              + " is "
              + (kind == null ? "missing" : "'" + kind + "'"));
    }
  }

  static String require(SafetensorsFile file, String key) {
    String v = file.metadata().get(key);
    if (v == null) {
      throw new IllegalArgumentException(file.source() + ": metadata '" + key + "' is missing");
    }
    return v;
  }

  static int parseInt(String text, String what, String source) {
    return StringValues.toInt(text, source + ": " + what);
  }

  static long parseLong(String text, String what, String source) {
    return StringValues.toLong(text, source + ": " + what);
  }

  /**
   * Unlike {@link StringValues#toDouble}, accepts NaN and infinities (a client may report them).
   */
  static double parseDouble(String text, String what, String source) {
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          source + ": " + what + " must be a number, got '" + text + "'", e);
    }
  }

  /** The metadata of an instruction (fit or evaluate): kind, client, round and config. */
  static Map<String, String> instructionMetadata(
      String kind, String clientId, int round, Map<String, String> config) {
    Map<String, String> meta = new TreeMap<>();
    meta.put(KIND, kind);
    meta.put("client_id", clientId);
    meta.put("round", Integer.toString(round));
    putPrefixed(meta, "config.", config);
    return meta;
  }

  /** The parts of an instruction message. */
  record Instruction(
      String clientId, int round, Map<String, HostTensor> tensors, Map<String, String> config) {}

  /** Parses an instruction message of the given kind. */
  static Instruction parseInstruction(byte[] bytes, String source, String kind) {
    SafetensorsFile f = Safetensors.deserialize(bytes, source);
    checkKind(f, kind);
    return new Instruction(
        require(f, "client_id"),
        parseInt(require(f, "round"), "round", source),
        f32Tensors(f),
        withPrefix(f.metadata(), "config."));
  }

  /** Every tensor of a message; only F32 is accepted, so values arrive bit for bit. */
  static SortedMap<String, HostTensor> f32Tensors(SafetensorsFile file) {
    TreeMap<String, HostTensor> out = new TreeMap<>();
    for (String name : file.names()) {
      if (file.dtype(name) != SafetensorsDtype.F32) {
        throw new IllegalArgumentException(
            file.source() + ": tensor '" + name + "' has dtype " + file.dtype(name) + ", not F32");
      }
      try {
        out.put(name, file.floatTensor(name));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** The shapes of tensors, by name. */
  static SortedMap<String, long[]> shapes(Map<String, HostTensor> tensors) {
    TreeMap<String, long[]> out = new TreeMap<>();
    tensors.forEach((k, t) -> out.put(k, t.shape().clone()));
    return out;
  }

  static String shape(long[] shape) {
    return Arrays.toString(shape);
  }
}
