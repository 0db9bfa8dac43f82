package org.fedpeft.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedpeft.tensor.HostTensor;

/**
 * A validated, read-only view of one safetensors file or in-memory buffer.
 *
 * <p>Obtain one with {@link Safetensors#read(Path)} or {@link Safetensors#deserialize(byte[],
 * String)}. The whole header is checked when the view is created (see {@link Safetensors} for the
 * list of checks), so every accessor below works on a well-formed file. Tensor data is not copied
 * up front: files are memory-mapped and each accessor converts the requested tensor on demand. A
 * view holds no open file handle; the mapping is released by the garbage collector.
 *
 * <p>Accessors take a tensor name and throw {@link IllegalArgumentException} (naming the source and
 * the tensor) for an unknown name or a conversion that makes no sense for the tensor's dtype.
 */
public final class SafetensorsFile {

  /** The largest header accepted, in bytes, as in the reference implementation. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  /** The reserved header key holding string metadata. */
  public static final String METADATA_KEY = "__metadata__";

  /**
   * Where one tensor sits in the data buffer.
   *
   * @param name the tensor name
   * @param dtype the element type
   * @param shape the dimensions (empty for a scalar)
   * @param begin first byte, relative to the start of the data buffer
   * @param end one past the last byte
   */
  public record TensorInfo(
      String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {

    /** Copies the shape. */
    public TensorInfo {
      shape = shape.clone();
    }

    /** A copy of the dimensions. */
    @Override
    public long[] shape() {
      return shape.clone();
    }

    /** The number of elements. */
    public long numel() {
      return HostTensor.numel(shape);
    }

    /** The number of data bytes, {@code end - begin}. */
    public long byteLength() {
      return end - begin;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TensorInfo t
          && name.equals(t.name)
          && dtype == t.dtype
          && Arrays.equals(shape, t.shape)
          && begin == t.begin
          && end == t.end;
    }

    @Override
    public int hashCode() {
      return (name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
      return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
  }

  /** Supplies the bytes of a tensor; either one mapping/array, or a mapping per tensor. */
  private interface DataSource {
    ByteBuffer slice(long begin, long end) throws IOException;
  }

  private final String source;
  private final Map<String, String> metadata;
  private final Map<String, TensorInfo> tensors;
  private final long dataBytes;
  private final DataSource data;

  private SafetensorsFile(
      String source,
      Map<String, String> metadata,
      Map<String, TensorInfo> tensors,
      long dataBytes,
      DataSource data) {
    this.source = source;
    this.metadata = metadata;
    this.tensors = tensors;
    this.dataBytes = dataBytes;
    this.data = data;
  }

  // ---------------------------------------------------------------- opening

  static SafetensorsFile open(Path path) throws IOException {
    String source = path.toString();
    if (Files.isDirectory(path)) {
      // Linux opens a folder for reading; the first read would fail with a bare "Is a directory".
      throw new SafetensorsFormatException(source, "is a folder, not a safetensors file");
    }
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < 8) {
        throw new SafetensorsFormatException(
            source,
            "file is " + size + " bytes long, shorter than the 8-byte header length prefix");
      }
      ByteBuffer prefix = readFully(channel, source, 0, 8);
      long headerLength = prefix.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
      int n = checkHeaderLength(source, headerLength, size - 8);
      ByteBuffer header = readFully(channel, source, 8, n);
      long dataStart = 8L + n;
      long dataBytes = size - dataStart;
      Parsed parsed = parseHeader(source, header, dataBytes);
      DataSource data;
      if (dataBytes <= Integer.MAX_VALUE) {
        ByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart, dataBytes);
        data = (begin, end) -> slice(mapped, (int) begin, (int) end);
      } else {
        data =
            (begin, end) -> {
              if (end - begin > Integer.MAX_VALUE) {
                throw new IOException(
                    source + ": a tensor of " + (end - begin) + " bytes cannot be mapped at once");
              }
              try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                return ch.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin)
                    .order(ByteOrder.LITTLE_ENDIAN);
              }
            };
      }
      return new SafetensorsFile(source, parsed.metadata, parsed.tensors, dataBytes, data)
          .verified();
    }
  }

  static SafetensorsFile fromBytes(byte[] bytes, String source) {
    if (bytes.length < 8) {
      throw new SafetensorsFormatException(
          source,
          "buffer is "
              + bytes.length
              + " bytes long, shorter than the 8-byte header length prefix");
    }
    ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int n = checkHeaderLength(source, all.getLong(0), bytes.length - 8L);
    int dataStart = 8 + n;
    Parsed parsed = parseHeader(source, slice(all, 8, dataStart), bytes.length - (long) dataStart);
    ByteBuffer dataBuffer = slice(all, dataStart, bytes.length);
    SafetensorsFile f =
        new SafetensorsFile(
            source,
            parsed.metadata,
            parsed.tensors,
            bytes.length - (long) dataStart,
            (begin, end) -> slice(dataBuffer, (int) begin, (int) end));
    try {
      return f.verified();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // an in-memory buffer does not fail to slice
    }
  }

  /**
   * This view, checked against the content checksum {@link Safetensors#writeChecked} stored, and
   * without that checksum in its metadata; this view itself if it has none.
   */
  private SafetensorsFile verified() throws IOException {
    String stored = metadata.get(Safetensors.CHECKSUM_KEY);
    if (stored == null) {
      return this;
    }
    ContentChecksum sum = new ContentChecksum(metadata);
    for (TensorInfo info : tensors.values()) {
      sum.tensor(info.name(), info.dtype(), info.shape(), info.byteLength());
      sum.data(data.slice(info.begin(), info.end()));
    }
    if (!sum.hex().equals(stored)) {
      throw new SafetensorsFormatException(
          source,
          "the content does not match the SHA-256 stored when it was written ("
              + Safetensors.CHECKSUM_KEY
              + "): the file is corrupted");
    }
    Map<String, String> rest = new TreeMap<>(metadata);
    rest.remove(Safetensors.CHECKSUM_KEY);
    return new SafetensorsFile(source, Collections.unmodifiableMap(rest), tensors, dataBytes, data);
  }

  private static int checkHeaderLength(String source, long headerLength, long remaining) {
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw new SafetensorsFormatException(
          source,
          "header length "
              + Long.toUnsignedString(headerLength)
              + " exceeds the limit of "
              + MAX_HEADER_BYTES
              + " bytes");
    }
    if (headerLength > remaining) {
      throw new SafetensorsFormatException(
          source,
          "header length "
              + headerLength
              + " is larger than the "
              + remaining
              + " bytes that follow the length prefix");
    }
    return (int) headerLength;
  }

  private static ByteBuffer readFully(FileChannel channel, String source, long position, int length)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, position + buffer.position());
      if (read < 0) {
        // The file got shorter after its size was read.
        throw new IOException(
            source + ": unexpected end of file at byte " + (position + buffer.position()));
      }
    }
    buffer.flip();
    return buffer;
  }

  private static ByteBuffer slice(ByteBuffer buffer, int begin, int end) {
    return buffer.duplicate().position(begin).limit(end).slice().order(ByteOrder.LITTLE_ENDIAN);
  }

  // ---------------------------------------------------------------- header validation

  private record Parsed(Map<String, String> metadata, Map<String, TensorInfo> tensors) {}

  private static Parsed parseHeader(String source, ByteBuffer headerBytes, long dataBytes) {
    String text;
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(headerBytes);
      text = chars.toString();
    } catch (CharacterCodingException e) {
      throw new SafetensorsFormatException(source, "header is not valid UTF-8");
    }
    Object root;
    try {
      root = StrictJson.parse(text);
    } catch (StrictJson.SyntaxError e) {
      throw new SafetensorsFormatException(source, "header is not valid JSON: " + e.getMessage());
    } catch (StrictJson.DuplicateKey e) {
      // StrictJson's check, in the header's words, ending as its message does with where the
      // second occurrence starts in the header's text ("at line 1 column 57").
      String what;
      if (e.path.isEmpty() && !e.key.equals(METADATA_KEY)) {
        what = "duplicate tensor name '" + e.key + "' in the header";
      } else if (METADATA_KEY.equals(e.topKey)) {
        what = "duplicate key '" + e.key + "' in " + METADATA_KEY;
      } else if (e.topKey != null) {
        what = "tensor '" + e.topKey + "': duplicate key '" + e.key + "' in its entry";
      } else {
        what = "duplicate key '" + e.key + "' in the header";
      }
      throw new SafetensorsFormatException(source, what + e.at);
    }
    if (!(root instanceof Map<?, ?> rootMap)) {
      throw new SafetensorsFormatException(
          source, "header is not a JSON object but " + StrictJson.describe(root));
    }
    if (!text.startsWith("{")) {
      throw new SafetensorsFormatException(
          source, "header must start with '{' (found leading whitespace)");
    }

    Map<String, String> metadata = new TreeMap<>();
    Map<String, TensorInfo> tensors = new TreeMap<>();
    for (Map.Entry<?, ?> entry : rootMap.entrySet()) {
      String name = (String) entry.getKey();
      Object value = entry.getValue();
      if (name.equals(METADATA_KEY)) {
        readMetadata(source, value, metadata);
      } else {
        tensors.put(name, readTensorInfo(source, name, value, dataBytes));
      }
    }
    checkCoverage(source, tensors.values(), dataBytes);
    return new Parsed(Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors));
  }

  private static void readMetadata(String source, Object value, Map<String, String> out) {
    if (value == null) {
      return;
    }
    if (!(value instanceof Map<?, ?> map)) {
      throw new SafetensorsFormatException(
          source,
          METADATA_KEY
              + " must be an object mapping strings to strings, but is "
              + StrictJson.describe(value));
    }
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw new SafetensorsFormatException(
            source,
            METADATA_KEY
                + " must map strings to strings, but key '"
                + e.getKey()
                + "' has "
                + StrictJson.describe(e.getValue()));
      }
      out.put((String) e.getKey(), s);
    }
  }

  private static TensorInfo readTensorInfo(
      String source, String name, Object value, long dataBytes) {
    String where = "tensor '" + name + "': ";
    if (!(value instanceof Map<?, ?> map)) {
      throw new SafetensorsFormatException(
          source,
          where
              + "entry must be an object with dtype, shape and data_offsets, but is "
              + StrictJson.describe(value));
    }
    Object dtypeValue = required(source, where, map, "dtype");
    if (!(dtypeValue instanceof String dtypeName)) {
      throw new SafetensorsFormatException(
          source, where + "dtype must be a string, but is " + StrictJson.describe(dtypeValue));
    }
    SafetensorsDtype dtype = SafetensorsDtype.fromHeaderName(dtypeName);
    if (dtype == null) {
      throw new SafetensorsFormatException(
          source,
          where
              + "unknown or unsupported dtype '"
              + dtypeName
              + "' (supported: "
              + Arrays.toString(SafetensorsDtype.values())
              + ")");
    }

    List<?> shapeList = array(source, where, map, "shape");
    long[] shape = new long[shapeList.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = nonNegativeInteger(source, where, "shape", shapeList, i);
    }

    List<?> offsets = array(source, where, map, "data_offsets");
    if (offsets.size() != 2) {
      throw new SafetensorsFormatException(
          source,
          where
              + "data_offsets must be two integers [begin, end], but has "
              + offsets.size()
              + " entries");
    }
    long begin = nonNegativeInteger(source, where, "data_offsets", offsets, 0);
    long end = nonNegativeInteger(source, where, "data_offsets", offsets, 1);
    if (end < begin) {
      throw new SafetensorsFormatException(
          source, where + "data_offsets [" + begin + ", " + end + "] are decreasing (end < begin)");
    }
    if (end > dataBytes) {
      throw new SafetensorsFormatException(
          source,
          where
              + "data_offsets end "
              + end
              + " is beyond the end of the data buffer ("
              + dataBytes
              + " bytes)");
    }
    long expected;
    try {
      expected = Math.multiplyExact(HostTensor.numel(shape), (long) dtype.byteSize());
    } catch (ArithmeticException e) {
      throw new SafetensorsFormatException(
          source, where + "shape " + Arrays.toString(shape) + " has too many elements");
    }
    if (expected != end - begin) {
      throw new SafetensorsFormatException(
          source,
          where
              + "dtype "
              + dtype
              + " with shape "
              + Arrays.toString(shape)
              + " needs "
              + expected
              + " bytes, but data_offsets ["
              + begin
              + ", "
              + end
              + "] span "
              + (end - begin)
              + " bytes");
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static Object required(String source, String where, Map<?, ?> map, String key) {
    if (!map.containsKey(key)) {
      throw new SafetensorsFormatException(source, where + "missing \"" + key + "\"");
    }
    return map.get(key);
  }

  private static List<?> array(String source, String where, Map<?, ?> map, String key) {
    Object value = required(source, where, map, key);
    if (!(value instanceof List<?> list)) {
      throw new SafetensorsFormatException(
          source, where + key + " must be an array, but is " + StrictJson.describe(value));
    }
    return list;
  }

  private static long nonNegativeInteger(
      String source, String where, String field, List<?> list, int index) {
    Object value = list.get(index);
    String entry = field + " entry " + index;
    if (!(value instanceof StrictJson.Num num) || !num.isIntegerLiteral()) {
      throw new SafetensorsFormatException(
          source,
          where + entry + " must be a non-negative integer, but is " + StrictJson.describe(value));
    }
    BigInteger v = num.bigInteger();
    if (v.signum() < 0) {
      throw new SafetensorsFormatException(
          source, where + entry + " is negative (" + num.literal() + ")");
    }
    if (v.bitLength() > 63) {
      throw new SafetensorsFormatException(
          source, where + entry + " is too large (" + num.literal() + ")");
    }
    return v.longValue();
  }

  /** The tensors must tile [0, dataBytes) exactly: no overlap, no gap, no trailing bytes. */
  private static void checkCoverage(String source, Collection<TensorInfo> infos, long dataBytes) {
    List<TensorInfo> sorted = new ArrayList<>(infos);
    sorted.sort(
        Comparator.comparingLong(TensorInfo::begin)
            .thenComparingLong(TensorInfo::end)
            .thenComparing(TensorInfo::name));
    long covered = 0;
    TensorInfo previous = null;
    for (TensorInfo t : sorted) {
      if (t.begin() < covered) {
        throw new SafetensorsFormatException(
            source,
            "tensors '"
                + previous.name()
                + "' ["
                + previous.begin()
                + ", "
                + previous.end()
                + ") and '"
                + t.name()
                + "' ["
                + t.begin()
                + ", "
                + t.end()
                + ") overlap");
      }
      if (t.begin() > covered) {
        throw new SafetensorsFormatException(
            source,
            "gap of "
                + (t.begin() - covered)
                + " unused bytes in the data buffer at ["
                + covered
                + ", "
                + t.begin()
                + ") before tensor '"
                + t.name()
                + "'; tensors must cover the buffer exactly");
      }
      previous = t;
      covered = t.end();
    }
    if (covered != dataBytes) {
      throw new SafetensorsFormatException(
          source,
          (dataBytes - covered)
              + " trailing bytes in the data buffer ("
              + dataBytes
              + " bytes) after "
              + (previous == null
                  ? "the header, which lists no tensors"
                  : "the last tensor '" + previous.name() + "', which ends at " + covered));
    }
  }

  // ---------------------------------------------------------------- accessors

  /** The file path or buffer name this view was read from. */
  public String source() {
    return source;
  }

  /**
   * The {@code __metadata__} string map, sorted by key (empty if absent), without the content
   * checksum ({@link Safetensors#CHECKSUM_KEY}), which reading verified.
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** All tensor names, sorted. */
  public List<String> names() {
    return List.copyOf(tensors.keySet());
  }

  /** The number of tensors. */
  public int size() {
    return tensors.size();
  }

  /** True if there is a tensor with this name. */
  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** The size of the data buffer in bytes (the file minus the prefix and the header). */
  public long dataBytes() {
    return dataBytes;
  }

  /** Dtype, shape and offsets of a tensor. */
  public TensorInfo info(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new IllegalArgumentException(
          source + ": no tensor named '" + name + "' (it has " + tensors.size() + " tensors)");
    }
    return info;
  }

  /** The element type of a tensor. */
  public SafetensorsDtype dtype(String name) {
    return info(name).dtype();
  }

  /** A copy of the shape of a tensor. */
  public long[] shape(String name) {
    return info(name).shape();
  }

  /**
   * The raw little-endian bytes of a tensor, as a read-only buffer positioned at 0.
   *
   * @param name the tensor name
   * @return the bytes, {@code info(name).byteLength()} of them
   * @throws IOException if the data cannot be mapped (only for files over 2 GiB of data)
   */
  public ByteBuffer raw(String name) throws IOException {
    TensorInfo info = info(name);
    return data.slice(info.begin(), info.end()).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * A tensor converted to float32.
   *
   * <p>F32 is copied bit for bit (NaN payloads included). F16, BF16 and the F8 types are widened
   * exactly; F64 and large integers are rounded to the nearest float. BOOL is refused (use {@link
   * #booleans(String)}).
   *
   * @param name the tensor name
   * @return a new heap tensor with the same shape
   * @throws IOException if the data cannot be mapped (only for files over 2 GiB of data)
   */
  public HostTensor floatTensor(String name) throws IOException {
    TensorInfo info = info(name);
    if (info.dtype().kind() == SafetensorsDtype.Kind.BOOLEAN) {
      throw new IllegalArgumentException(
          source
              + ": tensor '"
              + name
              + "' has dtype BOOL, which has no float value; use booleans()");
    }
    int n = elementCount(info);
    ByteBuffer b = raw(name);
    float[] out = new float[n];
    switch (info.dtype()) {
      case F32 -> b.asFloatBuffer().get(out);
      case F16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float16.toFloat(b.getShort(2 * i));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
        }
      }
      case F64 -> {
        for (int i = 0; i < n; i++) {
          out[i] = (float) b.getDouble(8 * i);
        }
      }
      case F8_E5M2 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float16.toFloat((short) ((b.get(i) & 0xff) << 8));
        }
      }
      case F8_E4M3 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float16.e4m3ToFloat(b.get(i));
        }
      }
      case F8_E8M0 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float16.e8m0ToFloat(b.get(i));
        }
      }
      case U64 -> {
        for (int i = 0; i < n; i++) {
          out[i] = unsignedToFloat(b.getLong(8 * i));
        }
      }
      default -> {
        long[] values = integers(info, b, n);
        for (int i = 0; i < n; i++) {
          out[i] = values[i];
        }
      }
    }
    return new HostTensor(info.shape(), out);
  }

  /**
   * A floating point tensor widened to double: F64 exactly, the narrower float types exactly.
   * Integer dtypes are converted too (I64/U64 beyond 2^53 are rounded); BOOL is refused.
   *
   * @param name the tensor name
   * @return the values in row-major order
   * @throws IOException if the data cannot be mapped (only for files over 2 GiB of data)
   */
  public double[] doubles(String name) throws IOException {
    TensorInfo info = info(name);
    int n = elementCount(info);
    if (info.dtype() == SafetensorsDtype.F64) {
      double[] out = new double[n];
      raw(name).asDoubleBuffer().get(out);
      return out;
    }
    if (info.dtype() == SafetensorsDtype.U64) {
      long[] v = longs(name);
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        out[i] = v[i] >= 0 ? v[i] : new BigInteger(Long.toUnsignedString(v[i])).doubleValue();
      }
      return out;
    }
    if (info.dtype().kind() == SafetensorsDtype.Kind.INTEGER) {
      long[] v = longs(name);
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        out[i] = v[i];
      }
      return out;
    }
    float[] f = floatTensor(name).data();
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = f[i];
    }
    return out;
  }

  /**
   * An integer or boolean tensor as longs (BOOL as 0/1). U64 values above {@link Long#MAX_VALUE}
   * come back as their two's complement bit pattern (read them with {@link
   * Long#toUnsignedString(long)}). Floating point dtypes are refused: use {@link
   * #floatTensor(String)}.
   *
   * @param name the tensor name
   * @return the values in row-major order
   * @throws IOException if the data cannot be mapped (only for files over 2 GiB of data)
   */
  public long[] longs(String name) throws IOException {
    TensorInfo info = info(name);
    if (info.dtype().kind() == SafetensorsDtype.Kind.FLOAT) {
      throw new IllegalArgumentException(
          source
              + ": tensor '"
              + name
              + "' has floating point dtype "
              + info.dtype()
              + "; use floatTensor() instead of longs()");
    }
    int n = elementCount(info);
    return integers(info, raw(name), n);
  }

  /**
   * A BOOL tensor (any non-zero byte is true).
   *
   * @param name the tensor name
   * @return the values in row-major order
   * @throws IOException if the data cannot be mapped (only for files over 2 GiB of data)
   */
  public boolean[] booleans(String name) throws IOException {
    TensorInfo info = info(name);
    if (info.dtype() != SafetensorsDtype.BOOL) {
      throw new IllegalArgumentException(
          source + ": tensor '" + name + "' has dtype " + info.dtype() + ", not BOOL");
    }
    int n = elementCount(info);
    ByteBuffer b = raw(name);
    boolean[] out = new boolean[n];
    for (int i = 0; i < n; i++) {
      out[i] = b.get(i) != 0;
    }
    return out;
  }

  /**
   * Every tensor converted with {@link #floatTensor(String)}, in name order.
   *
   * @return an unmodifiable map from name to tensor
   * @throws IOException if the data cannot be mapped (only for files over 2 GiB of data)
   */
  public Map<String, HostTensor> floatTensors() throws IOException {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (String name : tensors.keySet()) {
      out.put(name, floatTensor(name));
    }
    return Collections.unmodifiableMap(out);
  }

  @Override
  public String toString() {
    return "SafetensorsFile[" + source + ", " + tensors.size() + " tensors]";
  }

  private int elementCount(TensorInfo info) {
    long n = info.numel();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          source + ": tensor '" + info.name() + "' has " + n + " elements, too many for an array");
    }
    return (int) n;
  }

  private static long[] integers(TensorInfo info, ByteBuffer b, int n) {
    long[] out = new long[n];
    switch (info.dtype()) {
      case BOOL -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.get(i) != 0 ? 1 : 0;
        }
      }
      case I8 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.get(i);
        }
      }
      case U8 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.get(i) & 0xff;
        }
      }
      case I16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getShort(2 * i);
        }
      }
      case U16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getShort(2 * i) & 0xffff;
        }
      }
      case I32 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getInt(4 * i);
        }
      }
      case U32 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getInt(4 * i) & 0xffffffffL;
        }
      }
      case I64, U64 -> b.asLongBuffer().get(out);
      default -> throw new IllegalStateException("not an integer dtype: " + info.dtype());
    }
    return out;
  }

  /** Correctly rounded conversion of an unsigned 64-bit value to float. */
  private static float unsignedToFloat(long v) {
    if (v >= 0) {
      return v;
    }
    // Halve with a sticky bit so the final rounding is still to nearest.
    return ((v >>> 1) | (v & 1)) * 2.0f;
  }
}
