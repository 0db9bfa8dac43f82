package org.fedpeft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.fedpeft.engine.Engines;
import org.fedpeft.engine.MklDispatch;

/**
 * The CPU a benchmark ran on, from {@code /proc/cpuinfo}: model name, vendor and family, and which
 * of the vector extensions that decide libtorch's kernels it has (AVX2, AVX-512, AVX512_BF16, AMX).
 */
final class MachineInfo {

  private MachineInfo() {}

  /**
   * "cpu: MODEL (VENDOR, family F, model M), N logical CPUs", "vector extensions: ..." and "mkl:
   * ..." (how MKL picks its kernels, {@link MklDispatch#status()}; starts the engine).
   */
  static String describe() {
    String model = "unknown";
    String vendor = "unknown";
    String family = "?";
    String cpuModel = "?";
    Set<String> flags = new HashSet<>();
    int cpus = 0;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        int colon = line.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String key = line.substring(0, colon).trim();
        String value = line.substring(colon + 1).trim();
        switch (key) {
          case "processor" -> cpus++;
          case "model name" -> model = value;
          case "vendor_id" -> vendor = value;
          case "cpu family" -> family = value;
          case "model" -> cpuModel = value;
          case "flags" -> flags.addAll(Arrays.asList(value.split("\\s+")));
          default -> {}
        }
      }
    } catch (IOException e) {
      return "cpu: unknown (/proc/cpuinfo unreadable: " + e.getMessage() + ")";
    }
    Engines.pytorch();
    return BenchSupport.fmt(
        "cpu: %s (%s, family %s, model %s), %d logical CPUs%nvector extensions: %s%nmkl: %s",
        model,
        vendor,
        family,
        cpuModel,
        cpus,
        String.join(", ", extensions(flags)),
        MklDispatch.status());
  }

  /** The extensions present, each as "NAME yes/no". */
  static List<String> extensions(Set<String> flags) {
    List<String> out = new ArrayList<>();
    out.add("AVX2 " + yes(flags.contains("avx2")));
    out.add("AVX-512 " + yes(flags.contains("avx512f")));
    out.add("AVX512_BF16 " + yes(flags.contains("avx512_bf16")));
    out.add("AMX " + yes(flags.contains("amx_tile") && flags.contains("amx_bf16")));
    return out;
  }

  private static String yes(boolean b) {
    return b ? "yes" : "no";
  }

  public static void main(String[] args) {
    System.out.println(describe());
  }
}
