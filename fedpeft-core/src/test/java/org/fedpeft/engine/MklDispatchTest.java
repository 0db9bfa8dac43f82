package org.fedpeft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.fedpeft.testing.SystemProperties;
import org.junit.jupiter.api.Test;

class MklDispatchTest {

  private static final String LIB = "/opt/torch/libtorch_cpu.so";

  @Test
  void readsTheVendorOfTheFirstProcessor() {
    List<String> cpuinfo =
        List.of(
            "processor\t: 0",
            "vendor_id\t: AuthenticAMD",
            "cpu family\t: 26",
            "",
            "processor\t: 1",
            "vendor_id\t: AuthenticAMD");
    assertEquals("AuthenticAMD", MklDispatch.cpuVendor(cpuinfo));
    assertEquals("unknown", MklDispatch.cpuVendor(List.of("processor\t: 0")));
  }

  @Test
  void takesTheLoadersPrivateMappingNotAFileMappingOfTheSameLibrary() {
    // A mapping of the file by the process itself (shared, offset 0) comes first here; the dynamic
    // loader's mappings are private.
    List<String> maps =
        List.of(
            "7efbdc000000-7efbf69b2000 r--s 00000000 fe:00 16039951      " + LIB,
            "7efbf6a00000-7efc0b3bc000 r-xp 00000000 fe:00 16039951      " + LIB,
            "7efc0b3bc000-7efc0b617000 r--p 149bb000 fe:00 16039951      " + LIB,
            "7efc0b617000-7efc0b6a9000 rw-p 14c16000 fe:00 16039951      " + LIB,
            "7efc0c000000-7efc0c001000 r-xp 00000000 fe:00 16039952      /opt/torch/libc10.so");
    assertEquals(0x7efbf6a00000L, MklDispatch.mappingStart(maps, Path.of(LIB)));
    assertEquals(Path.of(LIB), MklDispatch.mappedLibrary(maps));
    assertEquals(-1, MklDispatch.mappingStart(maps, Path.of("/opt/torch/libtorch.so")));
  }

  @Test
  void rejectsAnUnknownSetting() {
    IllegalArgumentException e =
        SystemProperties.with(
            MklDispatch.PROPERTY,
            "avx512",
            () -> assertThrows(IllegalArgumentException.class, MklDispatch::apply));
    assertTrue(e.getMessage().contains("fedpeft.mkl.dispatch=avx512"), e.getMessage());
  }

  /**
   * On an AMD CPU the engine's start sets MKL's kept answer to 1, at an address inside a writable
   * private mapping of libtorch_cpu.so; on other CPUs it leaves MKL alone and says so.
   */
  @Test
  void theEngineStartSetsMklsKeptAnswerOnAmd() throws Exception {
    Engines.pytorch();
    String vendor = MklDispatch.cpuVendor(Files.readAllLines(Path.of("/proc/cpuinfo")));
    String status = MklDispatch.status();
    if (!vendor.equals("AuthenticAMD")) {
      assertTrue(status.contains("nothing to change"), status);
      return;
    }
    assertTrue(status.startsWith("MKL picks kernels by CPU features on this AMD CPU"), status);
    List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
    Path library = MklDispatch.mappedLibrary(maps);
    assertNotNull(library);
    long address = MklDispatch.runtimeAddress(library, maps);
    boolean inWritableMapping = false;
    for (String line : maps) {
      String[] f = line.trim().split("\\s+");
      long from = Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16);
      long to = Long.parseUnsignedLong(f[0].substring(f[0].indexOf('-') + 1), 16);
      if (f.length >= 6 && f[5].equals(library.toString()) && f[1].equals("rw-p")) {
        inWritableMapping |= address >= from && address + 4 <= to;
      }
    }
    assertTrue(inWritableMapping, Long.toHexString(address));
    try (FileChannel mem = FileChannel.open(Path.of("/proc/self/mem"), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      mem.read(b, address);
      assertEquals(1, b.getInt(0));
    }
  }

  @Test
  void findsOnlyASymbolOfTheGivenNameAndSize() throws Exception {
    Engines.pytorch();
    Path library = MklDispatch.mappedLibrary(Files.readAllLines(Path.of("/proc/self/maps")));
    assertNotNull(library);
    try (FileChannel file = FileChannel.open(library, StandardOpenOption.READ)) {
      long value = MklDispatch.symbolValue(file, MklDispatch.SYMBOL, 4);
      assertTrue(value > 0, Long.toHexString(value));
      assertEquals(-1, MklDispatch.symbolValue(file, MklDispatch.SYMBOL, 8));
      assertEquals(-1, MklDispatch.symbolValue(file, "fedpeft_no_such_symbol", 4));
    }
  }
}
