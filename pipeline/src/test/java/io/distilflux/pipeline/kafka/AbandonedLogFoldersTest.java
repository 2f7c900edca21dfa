package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The temporary log folders of embedded brokers that were never closed (a killed process, a
 * Ctrl-C while the broker started) are deleted by the next broker's start, and only those.
 */
class AbandonedLogFoldersTest {

  @TempDir Path root;

  @Test
  void aProcessThatDiesWithItsBrokerRunningLeavesAFolderTheNextSweepDeletes() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process dying = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "-Djava.io.tmpdir=" + root, StartsABrokerAndDies.class.getName())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertTrue(dying.waitFor(120, TimeUnit.SECONDS), "the broker's process did not end");
    assertEquals(StartsABrokerAndDies.HALTED, dying.exitValue());
    try (var left = Files.list(root)) {
      assertEquals(1, left.filter(p -> p.getFileName().toString()
          .startsWith(EmbeddedKafka.TEMP_DIR_PREFIX)).count());
    }

    assertEquals(1, EmbeddedKafka.deleteAbandonedTempDirs(root));
  }

  /** Starts a broker in a temporary folder and ends its process without closing it. */
  public static final class StartsABrokerAndDies {
    static final int HALTED = 42;

    public static void main(String[] args) {
      EmbeddedKafka.start();
      Runtime.getRuntime().halt(HALTED);
    }
  }

  @Test
  void aFolderWhoseLockNoBrokerHoldsIsDeleted() throws Exception {
    Path left = folder("left");
    Files.writeString(left.resolve(EmbeddedKafka.OWNER_LOCK), "");
    Files.writeString(Files.createDirectories(left.resolve("distilflux.steps-0"))
        .resolve("00000000000000000000.log"), "records");

    assertEquals(1, EmbeddedKafka.deleteAbandonedTempDirs(root));
    assertFalse(Files.exists(left));
  }

  @Test
  void aFolderWhoseLockAnotherProcessHoldsIsKept() throws Exception {
    Path running = folder("running");
    Path lock = Files.writeString(running.resolve(EmbeddedKafka.OWNER_LOCK), "");
    LockingProcess holder = lockFrom(lock, "hold");
    assertEquals("locked", holder.get());
    try {
      assertEquals(0, EmbeddedKafka.deleteAbandonedTempDirs(root));
      assertTrue(Files.exists(lock));
    } finally {
      holder.process().destroy();
      holder.process().waitFor(30, TimeUnit.SECONDS);
    }
    assertEquals(1, EmbeddedKafka.deleteAbandonedTempDirs(root), "kept once its holder ended");
  }

  @Test
  void aFolderWithoutALockFileIsKeptUntilItIsOld() throws Exception {
    Path starting = folder("starting");
    assertEquals(0, EmbeddedKafka.deleteAbandonedTempDirs(root));
    assertTrue(Files.exists(starting));

    Files.setLastModifiedTime(starting, FileTime.from(
        Instant.now().minus(EmbeddedKafka.UNLOCKED_AGE).minusSeconds(60)));
    assertEquals(1, EmbeddedKafka.deleteAbandonedTempDirs(root));
    assertFalse(Files.exists(starting));
  }

  @Test
  void othersFoldersAndFilesAreLeftAlone() throws Exception {
    Path other = Files.createDirectories(root.resolve("someone-else"));
    Files.writeString(other.resolve(EmbeddedKafka.OWNER_LOCK), "");
    Path file = Files.writeString(root.resolve(EmbeddedKafka.TEMP_DIR_PREFIX + "file"), "x");

    assertEquals(0, EmbeddedKafka.deleteAbandonedTempDirs(root));
    assertTrue(Files.exists(other));
    assertTrue(Files.exists(file));
  }

  @Test
  void aRunningBrokerOfThisProcessKeepsItsFolderAndItsLock() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Path lock = kafka.logDir().resolve(EmbeddedKafka.OWNER_LOCK);
      EmbeddedKafka.deleteAbandonedTempDirs(kafka.logDir().getParent());
      assertTrue(Files.exists(lock));
      // Closing a channel on the lock file would have dropped the broker's lock with it, and the
      // next process's sweep would then delete the running broker's folder.
      assertEquals("held", lockFrom(lock, "try").get());
    }
  }

  private Path folder(String name) throws Exception {
    return Files.createDirectories(root.resolve(EmbeddedKafka.TEMP_DIR_PREFIX + name));
  }

  private record LockingProcess(Process process, BufferedReader out) {
    /** The process's first line. */
    String get() throws Exception {
      return out.readLine();
    }
  }

  /**
   * A second JVM on {@code lock}: {@code hold} locks it as a broker does, says "locked" and holds
   * it until destroyed; {@code try} says whether it could lock it ("free") or not ("held").
   */
  private LockingProcess lockFrom(Path lock, String mode) throws Exception {
    Path source = root.resolve("LockFile.java");
    Files.writeString(source, """
        import java.nio.channels.FileChannel;
        import java.nio.channels.FileLock;
        import java.nio.file.Path;
        import java.nio.file.StandardOpenOption;
        public class LockFile {
          public static void main(String[] args) throws Exception {
            FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE);
            if (args[1].equals("try")) {
              FileLock lock = channel.tryLock();
              System.out.println(lock == null ? "held" : "free");
              return;
            }
            channel.lock();
            System.out.println("locked");
            Thread.sleep(Long.MAX_VALUE);
          }
        }
        """);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(java, source.toString(), lock.toString(), mode)
        .redirectErrorStream(true).start();
    return new LockingProcess(process, new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)));
  }
}
