package org.fedpeft.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * Lets the MKL inside libtorch pick its matrix-product kernels by the CPU's features on AMD CPUs,
 * as it does on Intel ones.
 *
 * <p><b>Why.</b> libtorch's float32 products ({@code addmm}, {@code matmul}, {@code linear}) call
 * MKL's {@code sgemm}, statically linked into {@code libtorch_cpu.so}. MKL asks {@code
 * mkl_serv_intel_cpu_true()} whether the CPU's vendor string is "GenuineIntel", and on any other
 * vendor it runs its AVX2 kernels even where the CPU has AVX-512: on an AMD Zen 5 (2 vCPUs) that
 * caps {@code sgemm} at about 215 GFLOP/s, against about 480 with the AVX-512 kernels. MKL's
 * environment variables ({@code MKL_ENABLE_INSTRUCTIONS}, {@code MKL_CBWR}, the removed {@code
 * MKL_DEBUG_CPU_TYPE}) do not change that choice.
 *
 * <p><b>How.</b> That function computes its answer once and keeps it in a 4-byte variable of the
 * library ({@code mkl_serv_intel_cpu_true.cached}: -1 before the first call, then 0 or 1), and
 * returns the kept value from then on. {@link #apply()} finds that variable through the library's
 * ELF symbol table and the process's memory map and sets it to 1 by writing {@code /proc/self/mem},
 * before the first product. MKL then chooses among its kernels by the CPUID feature bits, as it
 * does on Intel: AVX-512 where the CPU has it, AVX2 where it does not.
 *
 * <p><b>When.</b> Only on CPUs whose vendor is "AuthenticAMD" (the vendor this was measured on),
 * only for a libtorch whose symbol table has that variable with size 4, and only when the variable
 * holds -1 or 0; anything else leaves the library untouched and {@link #status()} says why. {@code
 * -Dfedpeft.mkl.dispatch=vendor} turns it off ({@code features}, the default, turns it on).
 *
 * <p>The results of a product are float32 either way; they differ from the AVX2 kernels' by
 * rounding (the sums run in another order), and they are the same from run to run.
 */
public final class MklDispatch {

  /** System property: {@code features} (the default) or {@code vendor} (MKL's own choice). */
  public static final String PROPERTY = "fedpeft.mkl.dispatch";

  /** The variable that keeps MKL's answer to "is this a GenuineIntel CPU?". */
  static final String SYMBOL = "mkl_serv_intel_cpu_true.cached";

  private static final String LIBRARY = "libtorch_cpu.so";
  private static final int SHT_SYMTAB = 2;
  private static final int PT_LOAD = 1;

  private static volatile String status = "not applied (the engine has not started)";

  private MklDispatch() {}

  /** What {@link #apply()} did, for benchmark and diagnostic output. */
  public static String status() {
    return status;
  }

  /** Applies the setting of {@link #PROPERTY} once libtorch is loaded; see the class comment. */
  static synchronized void apply() {
    String setting = System.getProperty(PROPERTY, "features");
    switch (setting) {
      case "vendor" -> {
        status = "MKL picks kernels by CPU vendor (-D" + PROPERTY + "=vendor)";
        return;
      }
      case "features" -> {}
      default ->
          throw new IllegalArgumentException(
              "-D" + PROPERTY + "=" + setting + ": expected features or vendor");
    }
    try {
      String vendor = cpuVendor(Files.readAllLines(Path.of("/proc/cpuinfo")));
      if (!"AuthenticAMD".equals(vendor)) {
        status = "MKL picks kernels by CPU features (vendor " + vendor + ", nothing to change)";
        return;
      }
      List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
      Path library = mappedLibrary(maps);
      if (library == null) {
        status = "not applied: " + LIBRARY + " is not mapped in this process";
        return;
      }
      long address = runtimeAddress(library, maps);
      if (address < 0) {
        status = "not applied: " + library + " has no symbol " + SYMBOL + " of 4 bytes";
        return;
      }
      status = setToOne(address);
    } catch (IOException | RuntimeException e) {
      status = "not applied: " + e;
    }
  }

  /** The {@code vendor_id} of the first processor in a /proc/cpuinfo text, or "unknown". */
  static String cpuVendor(List<String> cpuinfo) {
    for (String line : cpuinfo) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equals("vendor_id")) {
        return line.substring(colon + 1).trim();
      }
    }
    return "unknown";
  }

  /** The path of libtorch_cpu.so in a /proc/self/maps text, or null. */
  static Path mappedLibrary(List<String> maps) {
    for (String line : maps) {
      if (line.endsWith("/" + LIBRARY)) {
        return Path.of(line.substring(line.indexOf('/')));
      }
    }
    return null;
  }

  /**
   * Where {@link #SYMBOL} of {@code library} lives in the process whose maps text is given, or -1.
   */
  static long runtimeAddress(Path library, List<String> maps) throws IOException {
    long start = mappingStart(maps, library);
    if (start < 0) {
      throw new IllegalStateException(library + ": no private mapping at file offset 0");
    }
    try (FileChannel file = FileChannel.open(library, StandardOpenOption.READ)) {
      long value = symbolValue(file, SYMBOL, 4);
      return value < 0 ? -1 : start - firstLoadVaddr(file) + value;
    }
  }

  /**
   * The value (virtual address) of the symbol {@code name} of {@code size} bytes in the symbol
   * table ({@code .symtab}) of a 64-bit little-endian ELF file, or -1. Reads the file in chunks
   * rather than mapping it, so that the process's resident set does not grow by the tables' size.
   */
  static long symbolValue(FileChannel file, String name, long size) throws IOException {
    ByteBuffer header = read(file, 0, 64);
    if (header.getInt(0) != 0x464c457f || header.get(4) != 2 || header.get(5) != 1) {
      throw new IllegalStateException("not a 64-bit little-endian ELF file");
    }
    long sectionTable = header.getLong(0x28);
    int entrySize = Short.toUnsignedInt(header.getShort(0x3a));
    int sections = Short.toUnsignedInt(header.getShort(0x3c));
    ByteBuffer table = read(file, sectionTable, entrySize * sections);
    byte[] wanted = (name + '\0').getBytes(StandardCharsets.US_ASCII);
    for (int s = 0; s < sections; s++) {
      int at = s * entrySize;
      if (table.getInt(at + 4) != SHT_SYMTAB) {
        continue;
      }
      int strings = table.getInt(at + 0x28) * entrySize;
      long value =
          find(
              file,
              table.getLong(at + 0x18),
              table.getLong(at + 0x20),
              table.getLong(strings + 0x18),
              table.getLong(strings + 0x20),
              wanted,
              size);
      if (value >= 0) {
        return value;
      }
    }
    return -1;
  }

  /**
   * The value of the first symbol of the table at {@code offset} whose size is {@code size} and
   * whose name, in the string table at {@code strings}, is {@code wanted} (NUL included). Only the
   * names of symbols of that size are read (about 2,400 of libtorch_cpu.so's 600,000 have size 4),
   * so the 77 MB string table is not scanned.
   */
  private static long find(
      FileChannel file,
      long offset,
      long length,
      long strings,
      long stringsLength,
      byte[] wanted,
      long size)
      throws IOException {
    int entry = 24;
    int chunk = entry * 4096;
    for (long done = 0; done < length; done += chunk) {
      int n = (int) Math.min(chunk, length - done);
      ByteBuffer b = read(file, offset + done, n);
      for (int i = 0; i + entry <= n; i += entry) {
        long name = Integer.toUnsignedLong(b.getInt(i));
        if (b.getLong(i + 16) == size
            && name + wanted.length <= stringsLength
            && Arrays.equals(read(file, strings + name, wanted.length).array(), wanted)) {
          return b.getLong(i + 8);
        }
      }
    }
    return -1;
  }

  /** The page-aligned virtual address of the loadable segment at file offset 0. */
  private static long firstLoadVaddr(FileChannel file) throws IOException {
    ByteBuffer header = read(file, 0, 64);
    int entrySize = Short.toUnsignedInt(header.getShort(0x36));
    int entries = Short.toUnsignedInt(header.getShort(0x38));
    ByteBuffer table = read(file, header.getLong(0x20), entrySize * entries);
    for (int p = 0; p < entries; p++) {
      int at = p * entrySize;
      if (table.getInt(at) == PT_LOAD && table.getLong(at + 8) == 0) {
        return table.getLong(at + 0x10) & ~0xfffL;
      }
    }
    throw new IllegalStateException("no loadable segment at file offset 0");
  }

  /** {@code length} bytes of {@code file} from {@code offset}, little-endian. */
  private static ByteBuffer read(FileChannel file, long offset, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (file.read(b, offset + b.position()) < 0) {
        throw new IOException("end of file at " + (offset + b.position()));
      }
    }
    return b.flip();
  }

  /**
   * The start address of the dynamic loader's mapping of {@code library} (private, at file offset
   * 0) in a maps text, or -1.
   */
  static long mappingStart(List<String> maps, Path library) {
    for (String line : maps) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 6
          && f[5].equals(library.toString())
          && f[1].endsWith("p")
          && Long.parseLong(f[2], 16) == 0) {
        return Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16);
      }
    }
    return -1;
  }

  private static String setToOne(long address) throws IOException {
    try (FileChannel mem =
        FileChannel.open(
            Path.of("/proc/self/mem"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      int before = readInt(mem, address);
      if (before == 1) {
        return "MKL picks kernels by CPU features (it already did)";
      }
      if (before != -1 && before != 0) {
        return "not applied: " + SYMBOL + " holds " + before + ", expected -1 or 0";
      }
      ByteBuffer one = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1);
      while (one.hasRemaining()) {
        mem.write(one, address + one.position());
      }
      int after = readInt(mem, address);
      return after == 1
          ? "MKL picks kernels by CPU features on this AMD CPU (AVX-512 where present; -D"
              + PROPERTY
              + "=vendor turns this off)"
          : "not applied: the write did not hold (" + after + ")";
    }
  }

  private static int readInt(FileChannel mem, long address) throws IOException {
    return read(mem, address, 4).getInt(0);
  }
}
