package io.distilflux.trainer.data;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecksumsTest {

  @TempDir Path dir;

  @Test
  void digestsMatchTheStandardTestVectors() throws IOException {
    Path abc = Files.write(dir.resolve("abc"), "abc".getBytes(StandardCharsets.US_ASCII));
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        Checksums.hex(abc, "SHA-256"));
    assertEquals("900150983cd24fb0d6963f7d28e17f72", Checksums.hex(abc, "MD5"));
    assertDoesNotThrow(() -> Checksums.verify(abc, "MD5", "900150983CD24FB0D6963F7D28E17F72"));
  }

  @Test
  void mnistFileWithWrongBytesIsRejectedNamingIt() throws IOException {
    Path file = Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), new byte[] {1, 2, 3});
    DataFileException e = assertThrows(DataFileException.class, () -> MnistDownloader.verify(file));
    assertTrue(e.getMessage().startsWith(file + ": SHA-256 mismatch: expected 3552534a"),
        e.getMessage());
  }

  @Test
  void unknownMnistFileNameIsRejected() throws IOException {
    Path file = Files.write(dir.resolve("mnist.gz"), new byte[] {1});
    DataFileException e = assertThrows(DataFileException.class, () -> MnistDownloader.verify(file));
    assertTrue(e.getMessage().startsWith(file + ": not an official MNIST file name"));
  }
}
