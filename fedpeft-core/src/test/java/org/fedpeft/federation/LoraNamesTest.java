package org.fedpeft.federation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.fedpeft.tensor.HostTensor;
import org.junit.jupiter.api.Test;

/** {@link LoraNames#withRank}: cutting and zero-padding LoRA factors, by hand. */
class LoraNamesTest {

  @Test
  void aKeepsOrGainsRows() {
    HostTensor a = new HostTensor(new long[] {3, 2}, new float[] {1, 2, 3, 4, 5, 6});
    HostTensor cut = LoraNames.withRank(a, true, 2);
    assertArrayEquals(new long[] {2, 2}, cut.shape());
    assertArrayEquals(new float[] {1, 2, 3, 4}, cut.data());
    HostTensor padded = LoraNames.withRank(a, true, 4);
    assertArrayEquals(new long[] {4, 2}, padded.shape());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 0, 0}, padded.data());
  }

  @Test
  void bKeepsOrGainsColumns() {
    HostTensor b = new HostTensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
    HostTensor cut = LoraNames.withRank(b, false, 2);
    assertArrayEquals(new long[] {2, 2}, cut.shape());
    assertArrayEquals(new float[] {1, 2, 4, 5}, cut.data());
    HostTensor padded = LoraNames.withRank(b, false, 4);
    assertArrayEquals(new long[] {2, 4}, padded.shape());
    assertArrayEquals(new float[] {1, 2, 3, 0, 4, 5, 6, 0}, padded.data());
  }

  @Test
  void cuttingThenPaddingKeepsTheLeadingComponents() {
    HostTensor b = new HostTensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
    HostTensor back = LoraNames.withRank(LoraNames.withRank(b, false, 1), false, 3);
    assertArrayEquals(new float[] {1, 0, 0, 4, 0, 0}, back.data());
  }
}
