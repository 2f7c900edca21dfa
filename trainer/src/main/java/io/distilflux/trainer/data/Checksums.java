package io.distilflux.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** File digests for verifying downloads. */
public final class Checksums {

  private Checksums() {}

  /** Hex digest of a file, e.g. {@code hex(file, "SHA-256")} or {@code "MD5"}. */
  public static String hex(Path file, String algorithm) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalArgumentException("unknown digest algorithm " + algorithm, e);
    }
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
        digest.update(buffer, 0, read);
      }
    } catch (IOException e) {
      throw new DataFileException(file, "cannot read for checksum: " + e.getMessage(), e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * Checks a file's digest.
   *
   * @throws DataFileException naming the file, the expected and the actual digest on mismatch
   */
  public static void verify(Path file, String algorithm, String expectedHex) {
    String actual = hex(file, algorithm);
    if (!actual.equals(expectedHex.toLowerCase(Locale.ROOT))) {
      throw new DataFileException(
          file, algorithm + " mismatch: expected " + expectedHex + ", got " + actual);
    }
  }
}
