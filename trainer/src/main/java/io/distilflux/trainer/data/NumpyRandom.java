package io.distilflux.trainer.data;

/**
 * numpy's legacy generator ({@code numpy.random.RandomState}, also behind {@code np.random.seed}
 * and the module-level functions), ported draw for draw so that data made in Python with a seed
 * can be made again here: the Mersenne Twister MT19937 with numpy's seeding of an integer seed
 * (Matsumoto and Nishimura's {@code init_genrand}), 53-bit doubles from two 32-bit outputs, and
 * normals by the Marsaglia polar method, which draws them in pairs and keeps the second for the
 * next call ({@code legacy_gauss}). Not thread-safe.
 */
public final class NumpyRandom {

  private static final int N = 624;
  private static final int M = 397;
  private static final int MATRIX_A = 0x9908b0df;
  private static final int UPPER_MASK = 0x80000000;
  private static final int LOWER_MASK = 0x7fffffff;

  private final int[] key = new int[N];
  private int position;
  private boolean hasGauss;
  private double gauss;

  /**
   * {@code np.random.seed(seed)}.
   *
   * @param seed in [0, 2³² − 1], the range numpy accepts
   * @throws IllegalArgumentException for a seed outside it
   */
  public NumpyRandom(long seed) {
    if (seed < 0 || seed > 0xffffffffL) {
      throw new IllegalArgumentException("seed must be between 0 and 2**32 - 1, got " + seed);
    }
    int s = (int) seed;
    for (int i = 0; i < N; i++) {
      key[i] = s;
      s = 1812433253 * (s ^ (s >>> 30)) + i + 1;
    }
    position = N;
  }

  /** The next 32-bit output of MT19937, as an unsigned value. */
  public long nextUnsignedInt() {
    return nextInt() & 0xffffffffL;
  }

  private int nextInt() {
    if (position == N) {
      regenerate();
    }
    int y = key[position++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    return y ^ (y >>> 18);
  }

  private void regenerate() {
    int i = 0;
    for (; i < N - M; i++) {
      int y = (key[i] & UPPER_MASK) | (key[i + 1] & LOWER_MASK);
      key[i] = key[i + M] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    for (; i < N - 1; i++) {
      int y = (key[i] & UPPER_MASK) | (key[i + 1] & LOWER_MASK);
      key[i] = key[i + (M - N)] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    int y = (key[N - 1] & UPPER_MASK) | (key[0] & LOWER_MASK);
    key[N - 1] = key[M - 1] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    position = 0;
  }

  /** {@code random_sample()} (also {@code rand()}): a double in [0, 1) with 53 random bits. */
  public double randomSample() {
    long a = (nextInt() >>> 5) & 0xffffffffL;
    long b = (nextInt() >>> 6) & 0xffffffffL;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** {@code uniform(low, high)}: low + (high − low) · random_sample(). */
  public double uniform(double low, double high) {
    return low + (high - low) * randomSample();
  }

  /** {@code standard_normal()} (also {@code randn()}): the legacy polar method. */
  public double standardNormal() {
    if (hasGauss) {
      hasGauss = false;
      double cached = gauss;
      gauss = 0;
      return cached;
    }
    double x1;
    double x2;
    double r2;
    do {
      x1 = 2.0 * randomSample() - 1.0;
      x2 = 2.0 * randomSample() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    // Box-Muller transform; the first value is kept for the next call. numpy takes the C
    // library's log: Math.log differs from it by one ulp in about 1 in 3 600 normals, which
    // the float32 features and the signs of the labels do not see.
    double f = Math.sqrt(-2.0 * Math.log(r2) / r2);
    gauss = f * x1;
    hasGauss = true;
    return f * x2;
  }

  /** {@code randn(n)}: n standard normals in draw order. */
  public double[] standardNormals(int n) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = standardNormal();
    }
    return out;
  }
}
