package io.distilflux.pipeline.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka broker (KRaft, combined broker and controller) running in this process on
 * free loopback ports. The log directory is either a temporary folder, deleted on close, or a
 * folder the caller names, kept on close so a recorded run survives a restart; an already
 * formatted folder is reused as it is.
 *
 * <p>{@link #startSecured} starts one whose client listener asks for SASL/SCRAM-SHA-256
 * credentials (users created at format time) and, optionally, authorizes every request with
 * Kafka's ACLs (KRaft's {@code StandardAuthorizer}): a test bed for a secured deployment.
 *
 * <p>The server logs through SLF4J; which binding is on the class path decides where it goes
 * (the tests silence it below WARN with {@code simplelogger.properties}).
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  /** The SASL mechanism of a secured broker. */
  public static final String SCRAM = "SCRAM-SHA-256";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  /** Name prefix of the temporary log folders of brokers that delete theirs on close. */
  static final String TEMP_DIR_PREFIX = "distilflux-kafka-";
  /**
   * How old a temporary log folder without its {@link #OWNER_LOCK} must be to count as abandoned:
   * a younger one may belong to a process that has created it and not yet locked it.
   */
  static final Duration UNLOCKED_AGE = Duration.ofHours(1);
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  /** The file a temporary log folder's broker keeps locked while its process lives. */
  static final String OWNER_LOCK = "distilflux.lock";
  /**
   * The temporary log folders of this process's brokers, each with the channel holding its
   * {@link #OWNER_LOCK}. The sweep never opens their lock files: closing another channel on a
   * file would release this process's lock on it.
   */
  private static final Map<Path, FileChannel> OWN_TEMP_DIRS = new ConcurrentHashMap<>();

  /**
   * The kept log folders of this process's running brokers, each with the channel holding its
   * {@link #OWNER_LOCK} until the broker is closed: a second broker on a folder in use would
   * start its controller on the first one's metadata log before Kafka's own lock stops it.
   */
  private static final Map<Path, FileChannel> OWN_KEPT_DIRS = new ConcurrentHashMap<>();

  private final KafkaRaftServer server;
  private final Path logDir;
  private final boolean deleteOnClose;
  private final String bootstrapServers;
  private final int controllerPort;
  private final Map<String, String> adminClient;
  private final Duration startupTime;
  private boolean closed;

  private EmbeddedKafka(
      KafkaRaftServer server,
      Path logDir,
      boolean deleteOnClose,
      String bootstrapServers,
      int controllerPort,
      Duration startupTime,
      Map<String, String> adminClient) {
    this.controllerPort = controllerPort;
    this.adminClient = adminClient;
    this.server = server;
    this.logDir = logDir;
    this.deleteOnClose = deleteOnClose;
    this.bootstrapServers = bootstrapServers;
    this.startupTime = startupTime;
  }

  /**
   * Starts a broker whose log lives in a temporary folder deleted on {@link #close()}. The
   * temporary folders of brokers that were never closed (their process killed, or stopped while
   * they started) are deleted first.
   */
  public static EmbeddedKafka start() {
    try {
      return start(newTempDir(), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary Kafka log directory", e);
    }
  }

  /**
   * Starts a broker on the given log directory, created and formatted when needed and kept on
   * close, so the topics and their records survive a restart.
   */
  public static EmbeddedKafka start(Path logDir) {
    return start(logDir, false);
  }

  /**
   * Starts a broker on the given log directory, kept on close, with its client listener on
   * {@code brokerPort} and its controller on a free port: a broker that clients find at an
   * address known in advance.
   */
  public static EmbeddedKafka start(Path logDir, int brokerPort) {
    return start(logDir, false, brokerPort, freePort());
  }

  /**
   * Starts a broker on the given log directory and ports, e.g. the same broker again after
   * {@link #close()}: clients that knew its address reconnect to it.
   */
  public static EmbeddedKafka start(Path logDir, int brokerPort, int controllerPort) {
    return start(logDir, false, brokerPort, controllerPort);
  }

  private static EmbeddedKafka start(Path logDir, boolean deleteOnClose) {
    return start(logDir, deleteOnClose, freePort(), freePort());
  }

  /**
   * The users and rules of a secured broker.
   *
   * @param admin the broker's own user (inter-broker and super user), e.g. for creating ACLs
   * @param users every SCRAM user and its password, {@code admin} included
   * @param acls whether requests are authorized by ACLs (none but the super user's pass until
   *     ACLs are created)
   */
  public record Security(String admin, Map<String, String> users, boolean acls) {

    /** Validates and copies. */
    public Security {
      users = Map.copyOf(users);
      if (!users.containsKey(admin)) {
        throw new IllegalArgumentException("the admin user " + admin + " needs a password");
      }
    }
  }

  /**
   * Starts a broker in a temporary folder whose only client listener is SASL_PLAINTEXT with
   * SCRAM-SHA-256 for the given users (the controller listener stays plaintext on loopback).
   */
  public static EmbeddedKafka startSecured(Security security) {
    try {
      return start(newTempDir(), true, freePort(), freePort(), security);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary Kafka log directory", e);
    }
  }

  /**
   * The client properties of a SASL/SCRAM-SHA-256 user over plaintext (what a
   * {@code --kafka-config} file holds for a secured broker; use SASL_SSL on a real network).
   */
  public static Map<String, String> scramClient(String user, String password) {
    return Map.of(
        "security.protocol", "SASL_PLAINTEXT",
        "sasl.mechanism", SCRAM,
        "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"" + user + "\" password=\"" + password + "\";");
  }

  /** The client properties of the broker's admin user (none for an unsecured broker). */
  public Map<String, String> adminClient() {
    return adminClient;
  }

  private static EmbeddedKafka start(
      Path logDir, boolean deleteOnClose, int brokerPort, int controllerPort) {
    return start(logDir, deleteOnClose, brokerPort, controllerPort, null);
  }

  private static EmbeddedKafka start(
      Path logDir, boolean deleteOnClose, int brokerPort, int controllerPort,
      Security security) {
    long begin = System.nanoTime();
    Path dir = logDir.toAbsolutePath();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Kafka log directory " + dir, e);
    }
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new IllegalArgumentException("Kafka log directory is not a writable folder: " + dir);
    }
    if (!deleteOnClose) {
      lockKeptDir(dir);
    }
    try {
      return start(dir, deleteOnClose, brokerPort, controllerPort, security, begin);
    } catch (RuntimeException e) {
      if (!deleteOnClose) {
        unlockKeptDir(dir);
      }
      throw e;
    }
  }

  private static EmbeddedKafka start(Path dir, boolean deleteOnClose, int brokerPort,
      int controllerPort, Security security, long begin) {
    Properties props = brokerProperties(dir, brokerPort, controllerPort);
    Map<String, String> adminClient = Map.of();
    if (security != null) {
      secure(props, brokerPort, security);
      adminClient = scramClient(security.admin(), security.users().get(security.admin()));
    }
    KafkaConfig config = KafkaConfig.fromProps(props, false);
    format(dir, security);
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    String bootstrap = "127.0.0.1:" + brokerPort;
    try {
      server.startup();
      awaitReady(bootstrap, adminClient);
    } catch (RuntimeException e) {
      server.shutdown();
      server.awaitShutdown();
      if (deleteOnClose) {
        deleteTempDir(dir);
      }
      throw new IllegalStateException("embedded Kafka did not start: " + e.getMessage(), e);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - begin);
    return new EmbeddedKafka(server, dir, deleteOnClose, bootstrap, controllerPort, took,
        adminClient);
  }

  /** {@code host:port} of the broker's plaintext listener, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The port of the broker's plaintext listener. */
  public int brokerPort() {
    return Integer.parseInt(bootstrapServers.substring(bootstrapServers.lastIndexOf(':') + 1));
  }

  /** The port of the controller listener. */
  public int controllerPort() {
    return controllerPort;
  }

  /** The folder holding the broker's log and metadata. */
  public Path logDir() {
    return logDir;
  }

  /** How long {@code start} took, formatting included, until the broker answered a client. */
  public Duration startupTime() {
    return startupTime;
  }

  /**
   * Client requests the brokers of this process have handled so far, of every type and version
   * (the {@code kafka.network:type=RequestMetrics,name=RequestsPerSec} meters Kafka registers
   * with the platform MBean server; a fetch is counted once, not again as a consumer's or a
   * follower's): what a workload costs a broker, as a count that does not depend on how busy the
   * cores are. The meters are the process's, so with several embedded brokers it is their total.
   */
  public static long requestsHandled() {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    long total = 0;
    try {
      for (ObjectName name : server.queryNames(new ObjectName(
          "kafka.network:type=RequestMetrics,name=RequestsPerSec,*"), null)) {
        String request = name.getKeyProperty("request");
        if (!"FetchConsumer".equals(request) && !"FetchFollower".equals(request)) {
          total += ((Number) server.getAttribute(name, "Count")).longValue();
        }
      }
    } catch (JMException e) {
      throw new IllegalStateException("cannot read the broker's request meters: " + e, e);
    }
    return total;
  }

  /** Stops the broker cleanly and, for a temporary log directory, deletes it. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdown();
    server.awaitShutdown();
    if (deleteOnClose) {
      deleteTempDir(logDir);
    } else {
      unlockKeptDir(logDir);
    }
  }

  /**
   * Takes the kept folder's {@link #OWNER_LOCK} for this process, or refuses the folder on one
   * line when another broker (of this process or another) holds it.
   */
  private static void lockKeptDir(Path dir) {
    String inUse = "Kafka log directory " + dir + " is in use by another running broker";
    if (OWN_KEPT_DIRS.containsKey(dir)) {
      throw new IllegalArgumentException(inUse + " of this process");
    }
    FileChannel owner = null;
    try {
      owner = FileChannel.open(dir.resolve(OWNER_LOCK), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      if (owner.tryLock() == null) {
        throw new IllegalArgumentException(inUse);
      }
    } catch (IOException e) {
      closeQuietly(owner);
      throw new UncheckedIOException("cannot lock Kafka log directory " + dir, e);
    } catch (RuntimeException e) {
      closeQuietly(owner);
      throw e instanceof OverlappingFileLockException ? new IllegalArgumentException(inUse) : e;
    }
    OWN_KEPT_DIRS.put(dir, owner);
  }

  private static void unlockKeptDir(Path dir) {
    closeQuietly(OWN_KEPT_DIRS.remove(dir));
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close(); // releases the lock
      } catch (IOException e) {
        // the lock goes with the process at the latest
      }
    }
  }

  private static Properties brokerProperties(Path dir, int brokerPort, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + brokerPort + "," + CONTROLLER_LISTENER + "://127.0.0.1:"
            + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("controller.listener.names", CONTROLLER_LISTENER);
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dir.toString());
    // A single node: every internal topic has one replica.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    // Sized for the few clients of one process, which shares its cores with training: Kafka's
    // defaults (3 network and 8 request threads) are for a dedicated server.
    p.put("num.network.threads", "1");
    p.put("num.io.threads",
        String.valueOf(Math.min(8, Math.max(2, Runtime.getRuntime().availableProcessors()))));
    // The log cleaner's key map: Kafka allocates and zeroes 128 MiB of heap for it at start.
    // Only the group coordinator's offsets topic is compacted here, with a few keys per group.
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(4 << 20));
    return p;
  }

  /** Makes the client listener SASL_PLAINTEXT with SCRAM, and ACLs on when asked. */
  private static void secure(Properties p, int brokerPort, Security security) {
    p.put("listeners", "SASL_PLAINTEXT://127.0.0.1:" + brokerPort + "," + CONTROLLER_LISTENER
        + "://127.0.0.1:" + p.getProperty("controller.quorum.voters").replaceAll(".*:", ""));
    p.put("advertised.listeners", "SASL_PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("inter.broker.listener.name", "SASL_PLAINTEXT");
    p.put("listener.security.protocol.map",
        "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("sasl.enabled.mechanisms", SCRAM);
    p.put("sasl.mechanism.inter.broker.protocol", SCRAM);
    p.put("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config",
        scramClient(security.admin(), security.users().get(security.admin()))
            .get("sasl.jaas.config"));
    if (security.acls()) {
      p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
      // The broker reaches its own controller over the plaintext loopback listener, as
      // ANONYMOUS: that principal must pass too.
      p.put("super.users", "User:" + security.admin() + ";User:ANONYMOUS");
      p.put("allow.everyone.if.no.acl.found", "false");
    }
  }

  private static void format(Path dir, Security security) {
    if (Files.exists(dir.resolve("meta.properties"))) {
      return; // formatted by an earlier run: it keeps its cluster id and records
    }
    PrintStream silent = new PrintStream(OutputStream.nullOutputStream());
    List<String> scram = new ArrayList<>();
    if (security != null) {
      security.users().forEach((user, password) -> scram.add(
          SCRAM + "=[name=" + user + ",password=" + password + "]"));
    }
    try {
      new Formatter()
          .setScramArguments(scram)
          .setPrintStream(silent)
          .setNodeId(1)
          .setClusterId(Uuid.randomUuid().toString())
          .addDirectory(dir.toString())
          .setMetadataLogDirectory(dir.toString())
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setReleaseVersion(MetadataVersion.latestProduction())
          .run();
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot format Kafka log directory " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void awaitReady(String bootstrap, Map<String, String> client) {
    Map<String, Object> config = new HashMap<>(client);
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) READY_TIMEOUT.toMillis());
    try (Admin admin = Admin.create(config)) {
      admin.describeCluster().nodes().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("broker at " + bootstrap + " did not answer", e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  private static Path newTempDir() throws IOException {
    Path root = Path.of(System.getProperty("java.io.tmpdir"));
    int deleted = deleteAbandonedTempDirs(root);
    if (deleted > 0) {
      LOG.info("deleted the log folders of {} embedded broker(s) that were not closed", deleted);
    }
    Path dir = Files.createTempDirectory(root, TEMP_DIR_PREFIX).toAbsolutePath();
    // Locked from the first moment, so that a process stopped while its broker formats the
    // folder or starts leaves a folder the next sweep knows as abandoned.
    FileChannel owner = FileChannel.open(dir.resolve(OWNER_LOCK), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
    try {
      owner.lock();
    } catch (IOException | RuntimeException e) {
      owner.close();
      deleteRecursively(dir);
      throw e;
    }
    OWN_TEMP_DIRS.put(dir, owner);
    return dir;
  }

  /** Deletes a temporary log folder of this process's and releases its lock. */
  private static void deleteTempDir(Path dir) {
    deleteRecursively(dir);
    FileChannel owner = OWN_TEMP_DIRS.remove(dir);
    if (owner != null) {
      try {
        owner.close();
      } catch (IOException e) {
        // the folder is gone; the lock goes with the process at the latest
      }
    }
  }

  /**
   * Deletes the temporary log folders under {@code root} that no running broker uses, and says
   * how many. The process of a broker holds a file lock on its folder's {@link #OWNER_LOCK} from
   * the folder's creation until the broker is closed, so a folder whose lock can be taken was
   * left by a process that ended first; one without a lock file (made by an older build, or in
   * the instant before its lock) is deleted only once older than {@link #UNLOCKED_AGE}. Best
   * effort: a folder that cannot be read or deleted is left as it is.
   */
  static int deleteAbandonedTempDirs(Path root) {
    int deleted = 0;
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, TEMP_DIR_PREFIX + "*")) {
      for (Path dir : dirs) {
        try {
          if (!OWN_TEMP_DIRS.containsKey(dir.toAbsolutePath())
              && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && abandoned(dir)) {
            deleteRecursively(dir);
            deleted++;
          }
        } catch (IOException | UncheckedIOException e) {
          // another user's folder, or one its broker is deleting right now: leave it
        }
      }
    } catch (IOException | DirectoryIteratorException e) {
      // an unreadable temporary folder: nothing to clean up
    }
    return deleted;
  }

  private static boolean abandoned(Path dir) throws IOException {
    Path lock = dir.resolve(OWNER_LOCK);
    if (!Files.exists(lock, LinkOption.NOFOLLOW_LINKS)) {
      return Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toInstant()
          .isBefore(Instant.now().minus(UNLOCKED_AGE));
    }
    try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      FileLock taken = channel.tryLock();
      if (taken == null) {
        return false; // a broker of another process
      }
      taken.release();
      return true;
    } catch (OverlappingFileLockException running) {
      return false; // a broker of this process
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete Kafka log directory " + dir, e);
    }
  }

  /** For diagnostics: the directory when it is kept, empty when temporary. */
  public Optional<Path> keptLogDir() {
    return deleteOnClose ? Optional.empty() : Optional.of(logDir);
  }
}
