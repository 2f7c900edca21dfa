package io.distilflux.trainer.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes tiny CIFAR-10 binary files: record i has label labels[i] and pixel values derived from i. */
final class CifarTestFiles {

  private CifarTestFiles() {}

  /** Pixel byte of record i, channel c, position p (distinct per channel so plane order shows). */
  static int pixel(int record, int channel, int position) {
    return (record * 7 + channel * 80 + position) % 256;
  }

  static Path write(Path file, int... labels) throws IOException {
    byte[] bytes = new byte[labels.length * Cifar10.RECORD_BYTES];
    for (int i = 0; i < labels.length; i++) {
      int at = i * Cifar10.RECORD_BYTES;
      bytes[at] = (byte) labels[i];
      for (int c = 0; c < 3; c++) {
        for (int p = 0; p < 1024; p++) {
          bytes[at + 1 + c * 1024 + p] = (byte) pixel(i, c, p);
        }
      }
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    return Files.write(file, bytes);
  }
}
