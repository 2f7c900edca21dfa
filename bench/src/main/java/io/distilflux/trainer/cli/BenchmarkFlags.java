package io.distilflux.trainer.cli;

import java.util.List;

/** Flags a benchmark reads for itself before it hands the rest of its arguments to {@code run}. */
final class BenchmarkFlags {

  private BenchmarkFlags() {}

  /**
   * Removes {@code flag} and its value from {@code args} and returns the value, or {@code
   * fallback} when the flag is absent.
   *
   * @throws IllegalArgumentException when the flag is the last argument
   */
  static String take(List<String> args, String flag, String fallback) {
    int at = args.indexOf(flag);
    if (at < 0) {
      return fallback;
    }
    if (at + 1 >= args.size()) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    String value = args.remove(at + 1);
    args.remove(at);
    return value;
  }
}
