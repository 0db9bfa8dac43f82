package org.fedpeft.io;

import com.google.gson.stream.JsonWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.fedpeft.tensor.HostTensor;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format,
 * implemented from the format definition.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length {@code N}; {@code N} bytes of UTF-8
 * JSON, {@code {"__metadata__": {string: string}, "<name>": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, ...}}; then the data buffer, with offsets relative to its start
 * and values little-endian.
 *
 * <p><b>Writing</b> produces F32 tensors laid out in sorted name order, with the header padded with
 * spaces to a multiple of 8 bytes as the reference implementation does, and {@code __metadata__}
 * omitted when empty. The output is a pure function of the inputs (metadata keys are sorted too),
 * so equal inputs give equal bytes. Files are written through {@link AtomicFiles}.
 *
 * <p><b>Reading</b> validates the whole header before returning and throws {@link
 * SafetensorsFormatException} ({@code "<source>: <problem>"}) for: a file shorter than 8 bytes; a
 * header length above {@value SafetensorsFile#MAX_HEADER_BYTES} bytes or beyond the file; a header
 * that is not UTF-8, not strict JSON, not an object, or does not start with '{'; duplicate keys
 * (duplicate tensor names included; the message gives the line and column in the header's text
 * where the second one starts); metadata that is not string to string; an unknown dtype; a shape
 * entry that is negative or not an integer; data_offsets that are not two non-decreasing
 * non-negative integers; an end beyond the data buffer; a byte span that differs from dtype size
 * times element count; overlapping tensors; tensors that do not cover the data buffer exactly (a
 * gap or trailing bytes); and, in a file that carries a content checksum ({@link #writeChecked},
 * metadata key {@value #CHECKSUM_KEY}), metadata or tensor bytes that do not match it.
 */
public final class Safetensors {

  /**
   * The metadata key under which {@link #writeChecked} stores the SHA-256 of the file's content;
   * reading verifies it and leaves it out of {@link SafetensorsFile#metadata()}.
   */
  public static final String CHECKSUM_KEY = "fedpeft_content_sha256";

  private static final int CHUNK_FLOATS = 1 << 14;

  private Safetensors() {}

  // ---------------------------------------------------------------- reading

  /**
   * Opens and validates a safetensors file (memory-mapped; no handle stays open).
   *
   * @param path the file
   * @return a read-only view of the file
   * @throws IOException if the file cannot be read
   * @throws SafetensorsFormatException if the file is not valid safetensors
   */
  public static SafetensorsFile read(Path path) throws IOException {
    Objects.requireNonNull(path, "path");
    return SafetensorsFile.open(path);
  }

  /**
   * Reads every tensor of a file converted to float32, in name order.
   *
   * @param path the file
   * @return an unmodifiable map from name to tensor
   * @throws IOException if the file cannot be read
   * @throws SafetensorsFormatException if the file is not valid safetensors
   */
  public static Map<String, HostTensor> readFloatTensors(Path path) throws IOException {
    return read(path).floatTensors();
  }

  /**
   * Validates safetensors bytes held in memory, for example a client update off the wire. The array
   * is not copied and must not be modified while the view is in use.
   *
   * @param bytes the complete serialized form
   * @param sourceName names the origin in error messages (for example {@code "update from client 7,
   *     round 3"})
   * @return a read-only view of the bytes
   * @throws SafetensorsFormatException if the bytes are not valid safetensors
   */
  public static SafetensorsFile deserialize(byte[] bytes, String sourceName) {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(sourceName, "sourceName");
    return SafetensorsFile.fromBytes(bytes, sourceName);
  }

  // ---------------------------------------------------------------- writing

  /**
   * Atomically writes tensors as F32 to a file: the target either keeps its old content or gets the
   * complete new one.
   *
   * @param path the file to create or replace
   * @param tensors the tensors by name (any map; written in sorted name order)
   * @param metadata string metadata for {@code __metadata__}; may be {@code null} or empty
   * @throws IOException if the file cannot be written
   * @throws IllegalArgumentException for a reserved or null name or null metadata entries
   */
  public static void write(Path path, Map<String, HostTensor> tensors, Map<String, String> metadata)
      throws IOException {
    Objects.requireNonNull(path, "path");
    Layout layout = layout(tensors, metadata);
    AtomicFiles.writeWith(path, out -> layout.writeTo(out));
  }

  /**
   * {@link #write} with the SHA-256 of the content added to the metadata under {@link
   * #CHECKSUM_KEY}, for files fedpeft reads back later (checkpoints): reading such a file verifies
   * every tensor byte and metadata entry, so a file corrupted on disk is refused instead of
   * resuming from wrong values. The checksum covers what a reader gets back (see {@link
   * ContentChecksum}), so it does not depend on the header's layout.
   *
   * @param path the file to create or replace
   * @param tensors the tensors by name
   * @param metadata string metadata; may be {@code null} or empty, and must not hold {@link
   *     #CHECKSUM_KEY}
   * @throws IOException if the file cannot be written
   * @throws IllegalArgumentException for a reserved or null name or null metadata entries
   */
  public static void writeChecked(
      Path path, Map<String, HostTensor> tensors, Map<String, String> metadata) throws IOException {
    Objects.requireNonNull(path, "path");
    Layout plain = layout(tensors, metadata);
    TreeMap<String, String> meta = new TreeMap<>(metadata == null ? Map.of() : metadata);
    if (meta.containsKey(CHECKSUM_KEY)) {
      throw new IllegalArgumentException("metadata key '" + CHECKSUM_KEY + "' is reserved");
    }
    ContentChecksum sum = new ContentChecksum(meta);
    ByteBuffer chunk = newChunk();
    for (Map.Entry<String, HostTensor> e : plain.sorted().entrySet()) {
      float[] data = e.getValue().data();
      sum.tensor(e.getKey(), SafetensorsDtype.F32, e.getValue().shape(), 4L * data.length);
      forEachChunk(data, chunk, sum::data);
    }
    meta.put(CHECKSUM_KEY, sum.hex());
    Layout layout = layout(tensors, meta);
    AtomicFiles.writeWith(path, out -> layout.writeTo(out));
  }

  /**
   * Writes the serialized form to a stream (not closed).
   *
   * @param out the destination
   * @param tensors the tensors by name
   * @param metadata string metadata; may be {@code null} or empty
   * @throws IOException if the stream fails
   */
  public static void writeTo(
      OutputStream out, Map<String, HostTensor> tensors, Map<String, String> metadata)
      throws IOException {
    Objects.requireNonNull(out, "out");
    layout(tensors, metadata).writeTo(out);
  }

  /**
   * The serialized form in memory, byte-identical to what {@link #write} puts in a file.
   *
   * @param tensors the tensors by name
   * @param metadata string metadata; may be {@code null} or empty
   * @return the bytes
   * @throws IllegalArgumentException if the result would exceed the largest Java array
   */
  public static byte[] serialize(Map<String, HostTensor> tensors, Map<String, String> metadata) {
    Layout layout = layout(tensors, metadata);
    long total = layout.totalBytes();
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "serialized size " + total + " bytes exceeds the largest byte array; write a file");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) total);
    try {
      layout.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * The exact serialized size in bytes, without serializing.
   *
   * @param tensors the tensors by name
   * @param metadata string metadata; may be {@code null} or empty
   * @return the number of bytes {@link #serialize} would return
   */
  public static long serializedSize(Map<String, HostTensor> tensors, Map<String, String> metadata) {
    return layout(tensors, metadata).totalBytes();
  }

  /** A validated, sorted header plus the tensors to stream after it. */
  private record Layout(byte[] header, TreeMap<String, HostTensor> sorted, long dataBytes) {

    long totalBytes() {
      return 8L + header.length + dataBytes;
    }

    void writeTo(OutputStream out) throws IOException {
      ByteBuffer chunk = newChunk();
      chunk.putLong(0, header.length);
      out.write(chunk.array(), 0, 8);
      out.write(header);
      for (HostTensor t : sorted.values()) {
        forEachChunk(t.data(), chunk, c -> out.write(c.array(), 0, c.limit()));
      }
    }
  }

  /** Takes one chunk of a tensor's data bytes. */
  private interface ChunkSink {
    void accept(ByteBuffer chunk) throws IOException;
  }

  /** A buffer for {@link #forEachChunk}. */
  private static ByteBuffer newChunk() {
    return ByteBuffer.allocate(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Passes {@code data} as F32 little-endian bytes to {@code sink}, a chunk of at most {@code
   * CHUNK_FLOATS} values at a time in {@code chunk} (position 0, limit its length): the one
   * encoding that both a file and its content checksum ({@link #writeChecked}) see.
   */
  private static void forEachChunk(float[] data, ByteBuffer chunk, ChunkSink sink)
      throws IOException {
    for (int start = 0; start < data.length; start += CHUNK_FLOATS) {
      int n = Math.min(CHUNK_FLOATS, data.length - start);
      chunk.clear();
      for (int i = 0; i < n; i++) {
        chunk.putInt(4 * i, Float.floatToRawIntBits(data[start + i]));
      }
      chunk.limit(4 * n);
      sink.accept(chunk);
    }
  }

  private static Layout layout(Map<String, HostTensor> tensors, Map<String, String> metadata) {
    Objects.requireNonNull(tensors, "tensors");
    TreeMap<String, HostTensor> sorted = new TreeMap<>();
    for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
      String name = e.getKey();
      if (name == null) {
        throw new IllegalArgumentException("tensor name is null");
      }
      if (name.equals(SafetensorsFile.METADATA_KEY)) {
        throw new IllegalArgumentException(
            "'" + SafetensorsFile.METADATA_KEY + "' is reserved and cannot name a tensor");
      }
      if (e.getValue() == null) {
        throw new IllegalArgumentException("tensor '" + name + "' is null");
      }
      sorted.put(name, e.getValue());
    }
    TreeMap<String, String> meta = new TreeMap<>();
    if (metadata != null) {
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        if (e.getKey() == null || e.getValue() == null) {
          throw new IllegalArgumentException(
              "metadata entries must be non-null strings, got " + e.getKey() + "=" + e.getValue());
        }
        meta.put(e.getKey(), e.getValue());
      }
    }

    StringWriter text = new StringWriter();
    long offset = 0;
    try (JsonWriter json = new JsonWriter(text)) {
      json.setHtmlSafe(false);
      json.beginObject();
      if (!meta.isEmpty()) {
        json.name(SafetensorsFile.METADATA_KEY).beginObject();
        for (Map.Entry<String, String> e : meta.entrySet()) {
          json.name(e.getKey()).value(e.getValue());
        }
        json.endObject();
      }
      for (Map.Entry<String, HostTensor> e : sorted.entrySet()) {
        HostTensor t = e.getValue();
        long bytes = 4L * t.data().length;
        json.name(e.getKey()).beginObject();
        json.name("dtype").value(SafetensorsDtype.F32.name());
        json.name("shape").beginArray();
        for (long d : t.shape()) {
          json.value(d);
        }
        json.endArray();
        json.name("data_offsets").beginArray().value(offset).value(offset + bytes).endArray();
        json.endObject();
        offset += bytes;
      }
      json.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (utf8.length + 7) / 8 * 8;
    byte[] header = new byte[padded];
    System.arraycopy(utf8, 0, header, 0, utf8.length);
    for (int i = utf8.length; i < padded; i++) {
      header[i] = ' ';
    }
    if (header.length > SafetensorsFile.MAX_HEADER_BYTES) {
      throw new IllegalArgumentException(
          "header of "
              + header.length
              + " bytes exceeds the format limit of "
              + SafetensorsFile.MAX_HEADER_BYTES);
    }
    return new Layout(header, sorted, offset);
  }
}
