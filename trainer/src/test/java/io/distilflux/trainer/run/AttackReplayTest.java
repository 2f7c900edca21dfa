package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import io.distilflux.pipeline.event.Unconstrained;
import io.distilflux.pipeline.kafka.DeadLetter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The attacks of a hostile client with write access to the topics, replayed against a live
 * hypergradient run on the embedded broker once it is past step 50: a hypergradient far ahead,
 * one of another run under the live run's key, hypergradients and steps of a run that never
 * started, unreadable records of 0.9 and 2 MB, NaN (as a token and in a stale hypergradient), a
 * copy of one of the run's own hypergradients, meta-parameters far ahead and a forecast the run
 * never asked for. The run ends with the same losses and λ at every step as the same
 * configuration unattacked, every rejected record has exactly one dead letter (and no record of
 * the run has one), and the monitor's scrape names no run that never started.
 */
class AttackReplayTest {

  // long enough that the attacks (two of them megabytes) are written well before the run ends
  private static final int STEPS = 1000;
  private static final int ATTACK_AT = 50;
  private static final String VICTIM = "victim";

  @TempDir Path workDir;

  private record Coordinates(String topic, int partition, long offset) {}

  /** Run ahead 0: the victim waits for each update; 16: it checks the updates against its own. */
  @ParameterizedTest(name = "run ahead {0}")
  @ValueSource(ints = {0, 16})
  void attacksOnALiveRunAreDeadLetteredOnceAndChangeNothing(int runAhead) throws Exception {
    try (KafkaServices services = new KafkaServices(Map.of("iterations",
        Integer.toString(STEPS), "meta-timeout", "60"), workDir)) {
      String bootstrap = services.kafka.bootstrapServers();
      String hyper = services.topics.hyperGradients().topic();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        // The attacker's large records must reach the topic to be rejected by the services.
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, hyper),
            List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "3000000"),
                AlterConfigOp.OpType.SET)))).all().get();
      }
      RunConfig config = services.config(RunConfig.Mode.HYPERGRADIENT, STEPS);
      RunFinished reference = services.train("reference", config, events -> events);
      assertNull(reference.failure(), reference.failure());

      Set<Coordinates> attacks = ConcurrentHashMap.newKeySet();
      CompletableFuture<Long> attacked = new CompletableFuture<>();
      AtomicLong latest = new AtomicLong(-1);
      try (KafkaProducer<String, byte[]> attacker = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 3_000_000),
          new StringSerializer(), new ByteArraySerializer())) {
        RunFinished victim = services.train(VICTIM, config, runAhead,
            events -> events.doOnNext(event -> {
          if (event instanceof TrainingStep step) {
            latest.set(step.step());
          }
          if (event instanceof TrainingStep step && step.step() == ATTACK_AT) {
            // Off the trainer's thread: the attack runs while the run goes on.
            Mono.fromCallable(() -> {
                  attack(attacker, services, attacks);
                  return latest.get();
                })
                .subscribeOn(Schedulers.boundedElastic())
                .subscribe(attacked::complete, attacked::completeExceptionally);
          }
        })
            // The run's later steps are taken only once the attacks are written: a run ahead
            // of the services could otherwise end before they land. It trains on after them.
            .concatMap(event -> event instanceof TrainingStep step && step.step() > ATTACK_AT
                ? Mono.fromFuture(attacked).thenReturn(event) : Mono.just(event)));
        long stepWhenWritten = attacked.get(60, TimeUnit.SECONDS);
        assertTrue(stepWhenWritten < STEPS - 1,
            "the attacks landed while the run trained (it was at step " + stepWhenWritten + ")");
        assertNull(victim.failure(), victim.failure());
        assertEquals(STEPS, victim.steps());
        assertEquals(reference.finalEvaluation().testLoss(), victim.finalEvaluation().testLoss());
      }

      List<TrainingStep> expected =
          TopicReader.all(services.bus, services.topics.steps(), "reference").block();
      List<TrainingStep> actual =
          TopicReader.all(services.bus, services.topics.steps(), VICTIM).block();
      assertEquals(STEPS, actual.size());
      for (int i = 0; i < STEPS; i++) {
        assertEquals(expected.get(i).trainLoss(), actual.get(i).trainLoss(), "loss of step " + i);
        assertEquals(expected.get(i).meta(), actual.get(i).meta(), "λ of step " + i);
      }
      List<MetaParams> updates =
          TopicReader.all(services.bus, services.topics.metaParams(), VICTIM).block();
      assertEquals(STEPS + 1, updates.size(), "the run's versions and the forged one");

      Map<Coordinates, Integer> letters = awaitLetters(bootstrap, services, attacks);
      assertEquals(attacks, letters.keySet(), "exactly the attacks are dead-lettered");
      letters.forEach((at, count) -> assertEquals(1, count, "letters of " + at));

      String scrape = scrape(services.monitor.port());
      assertTrue(scrape.contains("run=\"" + VICTIM + "\""), "the victim has meters");
      assertFalse(scrape.contains("ghost-run"), "no meters for runs that never started");
    }
  }

  /** Writes every attack, remembering where each landed. */
  private static void attack(KafkaProducer<String, byte[]> attacker, KafkaServices services,
      Set<Coordinates> attacks) {
    String hyper = services.topics.hyperGradients().topic();
    int v = Event.CURRENT_SCHEMA_VERSION;
    Unconstrained at = new Unconstrained(0.4, 0.1, -0.2);
    Unconstrained g = new Unconstrained(5, -5, 5);
    HyperGradient copy = TopicReader.all(services.bus, services.topics.hyperGradients(), VICTIM)
        .block().get(10);
    Random random = new Random(11);
    byte[] large = new byte[900_000];
    byte[] larger = new byte[2_000_000];
    random.nextBytes(large);
    random.nextBytes(larger);
    String nanToken = new String(EventCodec.encode(new HyperGradient(v, VICTIM, 3, at, g, 1, 0.01)),
        StandardCharsets.UTF_8).replaceFirst(":(-?\\d+\\.\\d+)", ":NaN");

    send(attacker, attacks, hyper, VICTIM, new HyperGradient(v, VICTIM, 4700, at, g, 1, 0.01));
    send(attacker, attacks, hyper, VICTIM, new HyperGradient(v, "intruder", 0, at, g, 1, 0.01));
    send(attacker, attacks, hyper, "ghost-run-1",
        new HyperGradient(v, "ghost-run-1", 0, at, g, 1, 0.01));
    send(attacker, attacks, hyper, VICTIM, large);
    send(attacker, attacks, hyper, VICTIM, larger);
    send(attacker, attacks, hyper, VICTIM, nanToken.getBytes(StandardCharsets.UTF_8));
    send(attacker, attacks, hyper, VICTIM, new HyperGradient(v, VICTIM, 5, at,
        new Unconstrained(Double.NaN, 0, 0), 1, 0.01));
    send(attacker, attacks, hyper, VICTIM, copy);
    send(attacker, attacks, services.topics.metaParams().topic(), VICTIM,
        new MetaParams(v, VICTIM, 4701, at.toValues(), at, MetaParamSource.OPTIMIZER));
    send(attacker, attacks, services.topics.forecasts().topic(), VICTIM,
        new TrajectoryForecast(v, VICTIM, 0, 4, 7, at, at, at, 4));
    // A step of a run that never started is dropped by the monitor without a meter.
    sendUnrejected(attacker, services.topics.steps().topic(), "ghost-run-2",
        new TrainingStep(v, "ghost-run-2", 0, 0, Phase.HYPERGRADIENT, 1, 1, 0,
            at.toValues(), 0.01, System.currentTimeMillis()));
  }

  private static void send(KafkaProducer<String, byte[]> attacker, Set<Coordinates> attacks,
      String topic, String key, Event event) {
    send(attacker, attacks, topic, key, EventCodec.encode(event));
  }

  private static void send(KafkaProducer<String, byte[]> attacker, Set<Coordinates> attacks,
      String topic, String key, byte[] value) {
    try {
      var metadata = attacker.send(new ProducerRecord<>(topic, key, value)).get();
      attacks.add(new Coordinates(topic, metadata.partition(), metadata.offset()));
    } catch (Exception e) {
      throw new IllegalStateException("attack not written: " + e, e);
    }
  }

  private static void sendUnrejected(KafkaProducer<String, byte[]> attacker, String topic,
      String key, Event event) {
    try {
      attacker.send(new ProducerRecord<>(topic, key, EventCodec.encode(event))).get();
    } catch (Exception e) {
      throw new IllegalStateException("attack not written: " + e, e);
    }
  }

  /** The dead letters on the topic, counted per record, once every attack has one. */
  private static Map<Coordinates, Integer> awaitLetters(String bootstrap, KafkaServices services,
      Set<Coordinates> attacks) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Map<Coordinates, Integer> letters = Map.of();
    while (System.nanoTime() < deadline) {
      letters = letters(bootstrap, services.topics.deadLetter());
      if (letters.keySet().containsAll(attacks)) {
        // The services had their chance to write a second letter while the first arrived.
        return letters(bootstrap, services.topics.deadLetter());
      }
      Mono.delay(Duration.ofMillis(200)).block();
    }
    return letters;
  }

  private static Map<Coordinates, Integer> letters(String bootstrap, String topic) {
    Map<Coordinates, Integer> counts = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
        Map.of("bootstrap.servers", bootstrap), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic).forEach(p -> partitions.add(
          new TopicPartition(p.topic(), p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          DeadLetter letter = DeadLetter.fromJson(record.value());
          counts.merge(new Coordinates(letter.topic(), letter.partition(), letter.offset()), 1,
              Integer::sum);
        }
      }
    }
    return counts;
  }

  private static String scrape(int port) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    return response.body();
  }
}
