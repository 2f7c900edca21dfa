package io.distilflux.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.meta.MetaOptimizerService;
import io.distilflux.pipeline.meta.MetaOptimizerServiceTest;
import io.distilflux.pipeline.meta.MetaOptimizerSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * A broker whose client listener asks for SASL/SCRAM-SHA-256 credentials and authorizes every
 * request with ACLs, set up as the secured deployment is documented: the trainer may write its
 * steps, hypergradients, evaluations, life cycle and dead letters; only the meta-optimizer may
 * write meta-parameters. A client without credentials, or with a wrong password, is refused in
 * one line; with them the meta-optimizer answers the trainer; the trainer cannot write
 * meta-parameters.
 */
class SecuredKafkaTest {

  private static final Topics TOPICS = new Topics("sec.");
  private static final String META_GROUP = "sec-meta";
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startSecuredBrokerWithAcls() throws Exception {
    kafka = EmbeddedKafka.startSecured(new EmbeddedKafka.Security("admin", Map.of(
        "admin", "admin-secret", "trainer", "trainer-secret", "optimizer", "optimizer-secret"),
        true));
    KafkaTopicsAdmin.singleBroker().ensureTopics(as("admin", "admin-secret"), TOPICS);
    List<AclBinding> acls = new ArrayList<>();
    for (String user : List.of("trainer", "optimizer")) {
      // Everyone of the deployment reads every topic (and so may describe it) …
      acls.add(allow(user, ResourceType.TOPIC, "sec.", PatternType.PREFIXED, AclOperation.READ));
      acls.add(allow(user, ResourceType.TOPIC, TOPICS.deadLetter(), PatternType.LITERAL,
          AclOperation.WRITE));
    }
    // … and writes only what it produces.
    for (String topic : List.of(TOPICS.steps().topic(), TOPICS.hyperGradients().topic(),
        TOPICS.evaluations().topic(), TOPICS.runs().topic())) {
      acls.add(allow("trainer", ResourceType.TOPIC, topic, PatternType.LITERAL,
          AclOperation.WRITE));
    }
    acls.add(allow("optimizer", ResourceType.TOPIC, TOPICS.metaParams().topic(),
        PatternType.LITERAL, AclOperation.WRITE));
    acls.add(allow("optimizer", ResourceType.GROUP, META_GROUP, PatternType.PREFIXED,
        AclOperation.READ));
    try (Admin admin = Admin.create(as("admin", "admin-secret").adminConfig())) {
      admin.createAcls(acls).all().get();
    }
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void aClientWithoutCredentialsIsRefusedInOneLine() {
    long begin = System.nanoTime();
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> KafkaConnection.plain(kafka.bootstrapServers()).check(Duration.ofSeconds(5)));
    double seconds = (System.nanoTime() - begin) / 1e9;
    assertEquals(1, refused.getMessage().lines().count(), refused.getMessage());
    assertTrue(refused.getMessage().contains("did not answer within 5 s"), refused.getMessage());
    assertTrue(refused.getMessage().contains("--kafka-config"), refused.getMessage());
    assertTrue(seconds < 15, "refused after " + seconds + " s");
  }

  @Test
  void aWrongPasswordIsRefusedAtOnceInOneLine() {
    long begin = System.nanoTime();
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> as("trainer", "guessed").check(Duration.ofSeconds(10)));
    double seconds = (System.nanoTime() - begin) / 1e9;
    assertEquals(1, refused.getMessage().lines().count(), refused.getMessage());
    assertTrue(refused.getMessage().contains("refused the credentials"), refused.getMessage());
    assertTrue(seconds < 10, "refused after " + seconds + " s");
  }

  @Test
  void withCredentialsTheMetaOptimizerAnswersAndOnlyItMayWriteMetaParams() {
    String run = "secured-run";
    try (KafkaEventBus trainer = KafkaEventBus.connect(as("trainer", "trainer-secret"), TOPICS,
            KafkaBusSettings.defaults(), letter -> {});
        KafkaEventBus optimizerBus = KafkaEventBus.connect(as("optimizer", "optimizer-secret"),
            TOPICS, KafkaBusSettings.defaults(), letter -> {});
        MetaOptimizerService optimizer = new MetaOptimizerService(optimizerBus, TOPICS,
            META_GROUP, MetaOptimizerSettings.defaults())) {
      as("trainer", "trainer-secret").check(Duration.ofSeconds(10));
      optimizer.start();
      trainer.publish(TOPICS.runs(), Flux.just(MetaOptimizerServiceTest.runStarted(run,
          MetaOptimizerSettings.defaults().optimizer(),
          MetaOptimizerSettings.defaults().learningRate(), MetaOptimizerSettings.defaults().clip())))
          .blockLast(Duration.ofSeconds(30));
      Unconstrained at = new Unconstrained(0.1, 0.2, -1);
      trainer.publish(TOPICS.hyperGradients(), Flux.just(new HyperGradient(
              Event.CURRENT_SCHEMA_VERSION, run, 0, at, new Unconstrained(0.3, -0.2, 0.1), 1,
              0.01)))
          .blockLast(Duration.ofSeconds(30));
      MetaParams answer = trainer.consume(TOPICS.metaParams(),
              ConsumerOptions.wholeHistory("trainer-" + run).forRun(run))
          .map(received -> received.event())
          .blockFirst(Duration.ofSeconds(60));
      assertEquals(1, answer.version());
      assertEquals(MetaParamSource.OPTIMIZER, answer.source());

      MetaParams forged = new MetaParams(Event.CURRENT_SCHEMA_VERSION, run, 2, at.toValues(),
          at, MetaParamSource.OPTIMIZER);
      RuntimeException denied = assertThrows(RuntimeException.class,
          () -> trainer.publish(TOPICS.metaParams(), Flux.just(forged))
              .blockLast(Duration.ofSeconds(30)));
      Throwable cause = denied instanceof TopicAuthorizationException ? denied : denied.getCause();
      assertInstanceOf(TopicAuthorizationException.class, cause, String.valueOf(denied));
    }
  }

  private static KafkaConnection as(String user, String password) {
    return new KafkaConnection(kafka.bootstrapServers(),
        EmbeddedKafka.scramClient(user, password));
  }

  private static AclBinding allow(String user, ResourceType type, String name,
      PatternType pattern, AclOperation operation) {
    return new AclBinding(new ResourcePattern(type, name, pattern),
        new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW));
  }

}
