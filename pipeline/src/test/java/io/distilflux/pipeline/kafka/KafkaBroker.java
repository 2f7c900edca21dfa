package io.distilflux.pipeline.kafka;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit extension giving a test class one Kafka broker chosen by the {@link TestKafka}
 * switch, started before the class's tests and stopped after them. Register it on a static
 * field:
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaBroker KAFKA = KafkaBroker.fromSwitch();
 * ... KAFKA.bootstrapServers() ...
 * }</pre>
 *
 * When Testcontainers is asked for and Docker cannot give it, the class is skipped.
 */
public final class KafkaBroker implements ExecutionCondition, BeforeAllCallback, AfterAllCallback {

  private final TestKafka.Mode mode;
  private volatile TestKafka kafka;

  private KafkaBroker(TestKafka.Mode mode) {
    this.mode = mode;
  }

  /** The broker the switch names ({@code auto} when unset). */
  public static KafkaBroker fromSwitch() {
    return new KafkaBroker(TestKafka.Mode.fromSwitch());
  }

  /** A broker of this mode whatever the switch says. */
  public static KafkaBroker of(TestKafka.Mode mode) {
    return new KafkaBroker(mode);
  }

  /**
   * Always the Testcontainers broker, for tests of the real image beside the embedded ones;
   * skipped without Docker and when the switch says {@code embedded}.
   */
  public static KafkaBroker testcontainers() {
    return new KafkaBroker(TestKafka.Mode.TESTCONTAINERS);
  }

  /** A Testcontainers-only class is reported skipped, with the reason, when it cannot run. */
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (mode != TestKafka.Mode.TESTCONTAINERS) {
      return ConditionEvaluationResult.enabled("Kafka broker: " + mode);
    }
    if (TestKafka.Mode.fromSwitch() == TestKafka.Mode.EMBEDDED) {
      return ConditionEvaluationResult.disabled(TestKafka.SWITCH_PROPERTY + "=embedded: no containers");
    }
    return TestKafka.dockerUnavailable()
        .map(reason -> ConditionEvaluationResult.disabled("Kafka on Testcontainers: " + reason))
        .orElseGet(() -> ConditionEvaluationResult.enabled("Docker answered"));
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    kafka = TestKafka.start(mode);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (kafka != null) {
      kafka.close();
      kafka = null;
    }
  }

  /** {@code host:port} of the running broker. */
  public String bootstrapServers() {
    if (kafka == null) {
      throw new IllegalStateException("the Kafka broker is not running");
    }
    return kafka.bootstrapServers();
  }

  /** The running broker. */
  public TestKafka kafka() {
    return kafka;
  }

  /**
   * The sum of the {@code Count} of an embedded broker's JMX meters whose names match {@code
   * pattern} (an {@link javax.management.ObjectName} pattern): requests the broker has handled,
   * for tests that count them.
   */
  public static long meterCount(String pattern) {
    try {
      javax.management.MBeanServer server =
          java.lang.management.ManagementFactory.getPlatformMBeanServer();
      long total = 0;
      for (javax.management.ObjectName name
          : server.queryNames(new javax.management.ObjectName(pattern), null)) {
        total += ((Number) server.getAttribute(name, "Count")).longValue();
      }
      return total;
    } catch (javax.management.JMException e) {
      throw new IllegalStateException("cannot read the broker's meters " + pattern, e);
    }
  }

  /** Produce requests an embedded broker has handled for {@code topic}. */
  public static long produceRequests(String topic) {
    return meterCount("kafka.server:type=BrokerTopicMetrics,name=TotalProduceRequestsPerSec,"
        + "topic=" + topic);
  }
}
