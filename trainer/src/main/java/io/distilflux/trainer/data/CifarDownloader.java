package io.distilflux.trainer.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Downloads the official CIFAR-10 binary archive, checks its MD5 before touching its contents,
 * and extracts the {@code .bin} batches flat into a folder (ready for
 * {@link Cifar10#fromFolder}).
 */
public final class CifarDownloader {

  /** The official archive. */
  public static final URI ARCHIVE =
      URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
  /** MD5 of the official archive, as published on the CIFAR page. */
  public static final String ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";

  private static final int BLOCK = 512;

  private CifarDownloader() {}

  /**
   * Downloads (unless the archive is already in {@code folder}), verifies and extracts.
   *
   * @return the extracted batch files
   */
  public static List<Path> download(Path folder) {
    Path archive = folder.resolve("cifar-10-binary.tar.gz");
    if (!Files.isRegularFile(archive)) {
      Downloads.fetch(ARCHIVE, archive);
    }
    return verifyAndExtract(archive, ARCHIVE_MD5, folder);
  }

  /**
   * Verifies the archive's MD5, then extracts every {@code .bin} entry of the tar.gz into
   * {@code folder} under its bare file name (directories inside the archive are dropped, which
   * also keeps entries from escaping the folder).
   *
   * @throws DataFileException on checksum mismatch or a damaged archive
   */
  public static List<Path> verifyAndExtract(Path archive, String expectedMd5, Path folder) {
    Checksums.verify(archive, "MD5", expectedMd5);
    List<Path> extracted = new ArrayList<>();
    try (InputStream in =
        new GZIPInputStream(new BufferedInputStream(Files.newInputStream(archive)))) {
      Files.createDirectories(folder);
      byte[] header = new byte[BLOCK];
      while (readFully(in, header)) {
        if (isZero(header)) {
          break; // end-of-archive marker
        }
        String name = entryName(header);
        long size = parseOctal(header, 124, 12, archive);
        char type = (char) header[156];
        long padded = (size + BLOCK - 1) / BLOCK * BLOCK;
        boolean regular = type == '0' || type == 0;
        String bare = name.substring(name.lastIndexOf('/') + 1);
        if (regular && bare.endsWith(".bin")) {
          Path target = folder.resolve(bare);
          Path partial = folder.resolve(bare + ".part");
          Files.copy(new BoundedInputStream(in, size), partial, StandardCopyOption.REPLACE_EXISTING);
          Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
          skipFully(in, padded - size);
          extracted.add(target);
        } else {
          skipFully(in, padded);
        }
      }
    } catch (IOException e) {
      throw new DataFileException(archive, "cannot extract: " + e.getMessage(), e);
    }
    if (extracted.isEmpty()) {
      throw new DataFileException(archive, "archive holds no .bin files");
    }
    return extracted;
  }

  private static String entryName(byte[] header) {
    String name = cString(header, 0, 100);
    String magic = cString(header, 257, 6);
    String prefix = magic.startsWith("ustar") ? cString(header, 345, 155) : "";
    return prefix.isEmpty() ? name : prefix + "/" + name;
  }

  private static String cString(byte[] bytes, int offset, int length) {
    int end = offset;
    while (end < offset + length && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, offset, end - offset, StandardCharsets.US_ASCII);
  }

  private static long parseOctal(byte[] header, int offset, int length, Path archive) {
    String text = cString(header, offset, length).trim();
    try {
      return Long.parseLong(text, 8);
    } catch (NumberFormatException e) {
      throw new DataFileException(archive, "bad tar entry size field '" + text + "'");
    }
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean readFully(InputStream in, byte[] block) throws IOException {
    int read = in.readNBytes(block, 0, block.length);
    if (read == 0) {
      return false;
    }
    if (read < block.length) {
      throw new IOException("truncated tar header");
    }
    return true;
  }

  private static void skipFully(InputStream in, long n) throws IOException {
    in.skipNBytes(n); // throws EOFException on a truncated archive
  }

  /** Exposes only the next {@code remaining} bytes of the tar stream. */
  private static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private long remaining;

    BoundedInputStream(InputStream in, long remaining) {
      this.in = in;
      this.remaining = remaining;
    }

    @Override
    public int read() throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new IOException("truncated tar entry");
      }
      remaining--;
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (remaining <= 0) {
        return -1;
      }
      int read = in.read(buffer, offset, (int) Math.min(length, remaining));
      if (read < 0) {
        throw new IOException("truncated tar entry");
      }
      remaining -= read;
      return read;
    }
  }
}
