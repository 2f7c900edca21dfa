package io.distilflux.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarDownloaderTest {

  @TempDir Path dir;

  @Test
  void extractsOnlyBinFilesFlatAfterTheChecksumMatches() throws IOException {
    byte[] batch = Files.readAllBytes(CifarTestFiles.write(dir.resolve("src/a.bin"), 1, 2));
    byte[] test = Files.readAllBytes(CifarTestFiles.write(dir.resolve("src/b.bin"), 3));
    Path archive = dir.resolve("cifar.tar.gz");
    writeTarGz(archive,
        new Entry("cifar-10-batches-bin/", null),
        new Entry("cifar-10-batches-bin/data_batch_1.bin", batch),
        new Entry("cifar-10-batches-bin/readme.html", "<html/>".getBytes(StandardCharsets.UTF_8)),
        new Entry("cifar-10-batches-bin/test_batch.bin", test));
    Path out = dir.resolve("out");

    List<Path> files =
        CifarDownloader.verifyAndExtract(archive, Checksums.hex(archive, "MD5"), out);

    assertEquals(List.of(out.resolve("data_batch_1.bin"), out.resolve("test_batch.bin")), files);
    assertArrayEquals(batch, Files.readAllBytes(out.resolve("data_batch_1.bin")));
    assertArrayEquals(test, Files.readAllBytes(out.resolve("test_batch.bin")));
    assertFalse(Files.exists(out.resolve("readme.html")));
    assertEquals(2, Cifar10.read(out.resolve("data_batch_1.bin")).count());
  }

  @Test
  void wrongChecksumStopsBeforeAnythingIsExtracted() throws IOException {
    Path archive = dir.resolve("cifar.tar.gz");
    writeTarGz(archive, new Entry("data_batch_1.bin", new byte[Cifar10.RECORD_BYTES]));
    Path out = dir.resolve("out");

    DataFileException e = assertThrows(DataFileException.class,
        () -> CifarDownloader.verifyAndExtract(archive, CifarDownloader.ARCHIVE_MD5, out));

    assertTrue(e.getMessage().startsWith(archive + ": MD5 mismatch: expected "
        + CifarDownloader.ARCHIVE_MD5), e.getMessage());
    assertFalse(Files.exists(out));
  }

  private record Entry(String name, byte[] content) {}

  /** A minimal ustar writer: enough to exercise the reader with directory and file entries. */
  private static void writeTarGz(Path archive, Entry... entries) throws IOException {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    for (Entry entry : entries) {
      byte[] header = new byte[512];
      put(header, 0, entry.name());
      put(header, 100, "0000644\0");
      put(header, 108, "0000000\0");
      put(header, 116, "0000000\0");
      int size = entry.content() == null ? 0 : entry.content().length;
      put(header, 124, String.format("%011o\0", size));
      put(header, 136, "00000000000\0");
      header[156] = (byte) (entry.content() == null ? '5' : '0');
      put(header, 257, "ustar\0");
      put(header, 263, "00");
      java.util.Arrays.fill(header, 148, 156, (byte) ' ');
      int sum = 0;
      for (byte b : header) {
        sum += b & 0xff;
      }
      put(header, 148, String.format("%06o\0 ", sum));
      tar.write(header);
      if (size > 0) {
        tar.write(entry.content());
        tar.write(new byte[(512 - size % 512) % 512]);
      }
    }
    tar.write(new byte[1024]);
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(archive))) {
      out.write(tar.toByteArray());
    }
  }

  private static void put(byte[] header, int offset, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, header, offset, bytes.length);
  }
}
