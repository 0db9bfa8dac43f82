package org.fedpeft.data;

import java.util.List;

/** Summaries of a partition for reports: sizes, label histograms, and an exact-cover check. */
public final class PartitionStats {
  private PartitionStats() {}

  /** {@code histogram[client][label]}: how many examples of each class each client holds. */
  public static int[][] labelHistogram(Dataset data, List<int[]> parts) {
    int[][] h = new int[parts.size()][data.numLabels()];
    for (int j = 0; j < parts.size(); j++) {
      for (int i : parts.get(j)) {
        h[j][data.labelIndex(i)]++;
      }
    }
    return h;
  }

  /** The number of distinct classes per client. */
  public static int[] classesPerClient(Dataset data, List<int[]> parts) {
    int[][] h = labelHistogram(data, parts);
    int[] k = new int[h.length];
    for (int j = 0; j < h.length; j++) {
      for (int count : h[j]) {
        if (count > 0) {
          k[j]++;
        }
      }
    }
    return k;
  }

  /**
   * Throws unless every index in {@code [0, n)} is in exactly one part (no overlap, none missing,
   * none out of range).
   */
  public static void requireExactCover(List<int[]> parts, int n) {
    int[] owner = new int[n];
    java.util.Arrays.fill(owner, -1);
    for (int j = 0; j < parts.size(); j++) {
      for (int i : parts.get(j)) {
        if (i < 0 || i >= n) {
          throw new IllegalStateException(
              "client " + j + " has index " + i + " outside [0, " + n + ")");
        }
        if (owner[i] >= 0) {
          throw new IllegalStateException(
              "example " + i + " is in both client " + owner[i] + " and client " + j);
        }
        owner[i] = j;
      }
    }
    for (int i = 0; i < n; i++) {
      if (owner[i] < 0) {
        throw new IllegalStateException("example " + i + " is in no client");
      }
    }
  }

  /**
   * A plain-text table: one row per client with its size, number of classes and per-label counts
   * (columns are label indices; the vocabulary is listed below when it has at most 50 labels).
   */
  public static String format(Dataset data, List<int[]> parts) {
    int[][] h = labelHistogram(data, parts);
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-8s %8s %7s  %s%n", "client", "examples", "classes", "per label"));
    int[] classes = classesPerClient(data, parts);
    for (int j = 0; j < h.length; j++) {
      sb.append(String.format("%-8d %8d %7d ", j, parts.get(j).length, classes[j]));
      for (int count : h[j]) {
        sb.append(' ').append(count);
      }
      sb.append(System.lineSeparator());
    }
    if (data.numLabels() <= 50) {
      sb.append("labels: ").append(data.labels()).append(System.lineSeparator());
    }
    return sb.toString();
  }
}
