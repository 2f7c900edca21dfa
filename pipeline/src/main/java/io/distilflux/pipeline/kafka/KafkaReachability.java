package io.distilflux.pipeline.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Checks that a Kafka cluster answers before anything is started against it, so that a wrong
 * {@code --bootstrap-servers} ends in one line within seconds instead of a minute of client
 * reconnect warnings.
 */
public final class KafkaReachability {

  /** How long a command waits for the cluster to answer before it gives up. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(8);

  private KafkaReachability() {}

  /**
   * Returns when the cluster answers a describe-cluster request within {@code timeout}.
   *
   * @param clientProperties further client properties (security settings), may be empty
   * @throws IllegalArgumentException naming the servers when the cluster does not answer
   */
  public static void require(String bootstrapServers, Map<String, Object> clientProperties,
      Duration timeout) {
    Map<String, Object> config = new HashMap<>(clientProperties);
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    int millis = (int) Math.max(1, timeout.toMillis());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
    // One connection attempt a second at most: the check is short, its warnings pointless.
    config.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 1000);
    config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
    Admin admin;
    try {
      admin = Admin.create(config);
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new IllegalArgumentException("--bootstrap-servers " + bootstrapServers + ": "
          + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
    }
    try {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs(millis))
          .clusterId().get(millis + 1000L, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalArgumentException("Kafka at --bootstrap-servers " + bootstrapServers
          + " did not answer within " + timeout.toSeconds() + " s (is the broker running and"
          + " reachable?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking Kafka at " + bootstrapServers, e);
    } finally {
      admin.close(Duration.ZERO);
    }
  }
}
