package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** The broker switch of the integration tests. */
class TestKafkaTest {

  private String saved;

  @BeforeEach
  void saveSwitch() {
    saved = System.getProperty(TestKafka.SWITCH_PROPERTY);
  }

  @AfterEach
  void restoreSwitch() {
    if (saved == null) {
      System.clearProperty(TestKafka.SWITCH_PROPERTY);
    } else {
      System.setProperty(TestKafka.SWITCH_PROPERTY, saved);
    }
  }

  @Test
  void switchNamesTheModeInAnyCaseAndRejectsOthersOnOneLine() {
    System.setProperty(TestKafka.SWITCH_PROPERTY, " TestContainers ");
    assertEquals(TestKafka.Mode.TESTCONTAINERS, TestKafka.Mode.fromSwitch());
    System.setProperty(TestKafka.SWITCH_PROPERTY, "embedded");
    assertEquals(TestKafka.Mode.EMBEDDED, TestKafka.Mode.fromSwitch());
    System.setProperty(TestKafka.SWITCH_PROPERTY, "docker");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, TestKafka.Mode::fromSwitch);
    assertEquals("distilflux.kafka must be embedded, testcontainers or auto, got 'docker'",
        e.getMessage());
  }

  @Test
  void withoutDockerTestcontainersAbortsAndAutoFallsBackToAWorkingEmbeddedBroker()
      throws Exception {
    assumeTrue(TestKafka.dockerUnavailable().isPresent(), "a Docker engine answered");
    TestAbortedException aborted = assertThrows(TestAbortedException.class,
        () -> TestKafka.start(TestKafka.Mode.TESTCONTAINERS));
    assertTrue(aborted.getMessage().startsWith("Kafka on Testcontainers unavailable"),
        aborted.getMessage());
    try (TestKafka kafka = TestKafka.start(TestKafka.Mode.AUTO);
        Admin admin = Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      assertEquals("embedded", kafka.description());
      assertEquals(1, admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).size());
    }
  }
}
