package org.fedpeft.tensor;

/** Arithmetic on float vectors held in Java arrays. */
public final class Vectors {

  private Vectors() {}

  /**
   * Cosine similarity of {@code x[xo, xo + n)} and {@code y[yo, yo + n)}, summed in double, as
   * {@code torch.cosine_similarity} defines it: x.y / max(|x| |y|, 1e-8).
   */
  public static double cosine(float[] x, int xo, float[] y, int yo, int n) {
    double dot = 0;
    double xx = 0;
    double yy = 0;
    for (int i = 0; i < n; i++) {
      dot += (double) x[xo + i] * y[yo + i];
      xx += (double) x[xo + i] * x[xo + i];
      yy += (double) y[yo + i] * y[yo + i];
    }
    return dot / Math.max(Math.sqrt(xx) * Math.sqrt(yy), 1e-8);
  }

  /**
   * Cosine similarity of two whole vectors; see {@link #cosine(float[], int, float[], int, int)}.
   *
   * @throws IllegalArgumentException if their lengths differ
   */
  public static double cosine(float[] x, float[] y) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(
          "vectors of different lengths: " + x.length + " and " + y.length);
    }
    return cosine(x, 0, y, 0, x.length);
  }
}
