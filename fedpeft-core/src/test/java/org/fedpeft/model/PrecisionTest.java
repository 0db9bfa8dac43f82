package org.fedpeft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The precision settings and what {@code auto} picks for given /proc/cpuinfo texts. */
class PrecisionTest {

  /** Two logical CPUs as Linux lists them, with the given flags. */
  static String cpuInfo(String flags) {
    StringBuilder b = new StringBuilder();
    for (int cpu = 0; cpu < 2; cpu++) {
      b.append("processor\t: ").append(cpu).append('\n');
      b.append("vendor_id\t: AuthenticAMD\n");
      b.append("model name\t: AMD EPYC\n");
      b.append("flags\t\t: ").append(flags).append('\n');
      b.append("bugs\t\t: sysret_ss_attrs\n\n");
    }
    return b.toString();
  }

  @Test
  void autoPicksBf16WhereTheCpuReportsBf16Arithmetic() {
    Precision.Choice zen4 =
        Precision.auto(cpuInfo("fpu sse2 avx2 avx512f avx512bw avx512_bf16 avx512_vnni"));
    assertEquals(Precision.BF16, zen4.precision());
    assertEquals("auto", zen4.setting());
    assertEquals("bf16 (auto: this CPU reports avx512_bf16)", zen4.describe());
    Precision.Choice sapphireRapids =
        Precision.auto(cpuInfo("fpu avx2 avx512f amx_bf16 amx_tile amx_int8"));
    assertEquals(Precision.BF16, sapphireRapids.precision());
    assertEquals("bf16 (auto: this CPU reports amx_bf16)", sapphireRapids.describe());
  }

  @Test
  void autoPicksFp32ElsewhereAndWhenCpuInfoIsUnreadable() {
    // AVX-512 without bf16 (Skylake-X), AVX2 only, and near misses that are other flags.
    for (String flags :
        new String[] {
          "fpu sse2 avx2 avx512f avx512bw avx512_vnni",
          "fpu sse2 avx avx2 fma",
          "avx512_bf16x amx_bf16_fp8 xavx512_bf16",
          ""
        }) {
      Precision.Choice c = Precision.auto(cpuInfo(flags));
      assertEquals(Precision.FP32, c.precision(), flags);
      assertEquals(
          "fp32 (auto: this CPU reports neither avx512_bf16 nor amx_bf16)", c.describe(), flags);
    }
    assertEquals(Precision.FP32, Precision.auto(null).precision());
    assertEquals("fp32 (auto: /proc/cpuinfo could not be read)", Precision.auto(null).describe());
    // An ARM cpuinfo says "Features", not "flags".
    Precision.Choice arm = Precision.auto("processor\t: 0\nFeatures\t: fp asimd bf16\n");
    assertEquals(Precision.FP32, arm.precision());
    assertEquals("fp32 (auto: /proc/cpuinfo lists no CPU flags)", arm.describe());
  }

  @Test
  void explicitSettingsIgnoreTheCpu() {
    String noBf16 = cpuInfo("fpu avx2");
    assertEquals(Precision.Choice.FP32, Precision.choose("fp32", noBf16));
    Precision.Choice bf16 = Precision.choose("bf16", noBf16);
    assertEquals(Precision.BF16, bf16.precision());
    assertEquals("bf16", bf16.describe());
    assertEquals(Precision.BF16, Precision.choose("auto", cpuInfo("avx512_bf16")).precision());
    assertEquals(Precision.FP32, Precision.choose("auto", null).precision());
  }

  @Test
  void badSettingsAreRefusedNamingTheKeyAndTheAllowedValues() {
    for (String bad : new String[] {"fp16", "BF16", "", " fp32"}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Precision.requireSetting(bad, "model.precision"));
      assertEquals("model.precision = " + bad + " is invalid: fp32, bf16 or auto", e.getMessage());
      assertFalse(Precision.isSetting(bad));
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new ModelChoice("x", "half"));
    assertEquals("model.precision = half is invalid: fp32, bf16 or auto", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Precision.choose("fp64", null));
    for (String ok : Precision.SETTINGS) {
      assertTrue(Precision.isSetting(ok));
    }
    assertEquals("fp32", ModelChoice.of("all-minilm-l6-v2").precision());
  }
}
