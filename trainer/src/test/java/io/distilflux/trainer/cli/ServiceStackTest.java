package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.kafka.KafkaTopicsAdmin;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;

class ServiceStackTest {

  @Test
  void anEmbeddedBrokerServingOnlyThisProcessGetsOnePartitionATopic() {
    assertEquals(KafkaTopicsAdmin.oneProcess(),
        ServiceStack.topicsAdmin(RunOptions.parse(Map.of())));
  }

  @Test
  void aClusterOrServicesElsewhereKeepTheSingleBrokerPartitions() {
    assertEquals(KafkaTopicsAdmin.singleBroker(), ServiceStack.topicsAdmin(
        RunOptions.parse(Map.of("bootstrap-servers", "localhost:9092"))));
    assertEquals(KafkaTopicsAdmin.singleBroker(), ServiceStack.topicsAdmin(RunOptions.parse(
        Map.of("bootstrap-servers", "localhost:9092", "services", "external"))));
  }

  @Test
  void theEmbeddedBrokersTopicsAreMadeWithOnePartition() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (ServiceStack stack = ServiceStack.start(RunOptions.parse(Map.of("metrics-port", "0")),
        new PrintStream(log, true, StandardCharsets.UTF_8))) {
      Matcher at = Pattern.compile("embedded Kafka at (\\S+)")
          .matcher(log.toString(StandardCharsets.UTF_8));
      assertTrue(at.find(), log.toString(StandardCharsets.UTF_8));
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", at.group(1)))) {
        Map<String, TopicDescription> topics = admin.describeTopics(
            stack.topics().all().stream().map(c -> c.topic()).toList()).allTopicNames().get();
        assertEquals(stack.topics().all().size(), topics.size());
        topics.values().forEach(d -> assertEquals(1, d.partitions().size(), d.name()));
      }
    }
  }
}
