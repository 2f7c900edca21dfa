package io.distilflux.pipeline.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Delivery;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.ForwardingEventBus;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.WallClock;
import io.distilflux.pipeline.direct.InMemoryEventBus;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.ExtraGradient;
import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.pipeline.event.ExtraValue;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParamSource;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.RunFinished;
import io.distilflux.pipeline.event.RunStarted;
import io.distilflux.pipeline.event.Unconstrained;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

public class MetaOptimizerServiceTest {

  private static final Topics TOPICS = new Topics("test.");
  private static final MetaOptimizerSettings SGD =
      new MetaOptimizerSettings(OptimizerKind.SGD, 0.1, 1.0);
  private static final double TOL = 1e-12;

  private final InMemoryEventBus bus = new InMemoryEventBus();
  private final List<MetaOptimizerService> services = new ArrayList<>();

  @AfterEach
  void closeServices() {
    services.forEach(MetaOptimizerService::close);
    bus.close();
  }

  @Test
  void healthyOnceStartedAndNoLongerOnceClosed() {
    MetaOptimizerService service = new MetaOptimizerService(bus, TOPICS, "g", SGD);
    services.add(service);
    assertFalse(service.healthy());
    service.start();
    assertTrue(service.healthy());
    assertEquals(Optional.empty(), service.failure());
    service.close();
    assertFalse(service.healthy());
  }

  @Test
  void aFailedPublishMakesTheServiceUnhealthyWithTheReasonOnOneLine() {
    EventBus failing = new ForwardingEventBus(bus) {
      @Override
      public <E extends Event> Flux<Delivery<E>> publish(Channel<E> channel, Flux<? extends E> events) {
        return channel.equals(TOPICS.metaParams())
            ? events.flatMap(e -> Flux.error(new IllegalStateException("broker gone\nmore")))
            : super.publish(channel, events);
      }
    };
    sendRun(runStarted("r", OptimizerKind.SGD, 0.1, 1.0));
    MetaOptimizerService service = new MetaOptimizerService(failing, TOPICS, "g", SGD);
    services.add(service);
    service.start();
    send(hyper("r", 0, new Unconstrained(0, 0, 0), new Unconstrained(0.1, 0.1, 0.1)));
    await(() -> service.failure().isPresent());
    assertFalse(service.healthy());
    assertEquals("meta-optimizer stopped: java.lang.IllegalStateException: broker gone",
        service.failure().get());
  }

  @Test
  void publishesTheSgdUpdateFromAtForVersionStepPlusOne() {
    sendRun(runStarted("r", OptimizerKind.SGD, 0.1, 1.0));
    start("g", SGD);
    Unconstrained at = new Unconstrained(0.5, -0.5, 0.25);
    send(hyper("r", 0, at, new Unconstrained(0.2, 3.0, -0.4)));

    MetaParams out = awaitMetaParams(1).get(0);
    assertEquals("r", out.runId());
    assertEquals(1, out.version());
    assertEquals(MetaParamSource.OPTIMIZER, out.source());
    assertEquals(0.5 - 0.1 * 0.2, out.b().b1(), TOL);
    assertEquals(-0.5 - 0.1 * 1.0, out.b().b2(), TOL); // clipped to c = 1
    assertEquals(0.25 + 0.1 * 0.4, out.b().b3(), TOL);
    assertEquals(out.b().toValues(), out.meta());
  }

  @Test
  void declaredExtraCoordinatesAreUpdatedByTheSameRuleAndPublished() {
    RunStarted started = runStarted("r", OptimizerKind.SGD, 0.1, 1.0);
    sendRun(new RunStarted(started.schemaVersion(), "r",
        started.config().withExtraMeta(Map.of("lambdaC", 0.5)), 0L, started.provenance()));
    MetaOptimizerService service = start("g", SGD);
    Unconstrained at = new Unconstrained(0.5, -0.5, 0.25);
    Unconstrained g = new Unconstrained(0.2, 0.1, -0.4);
    send(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "r", 0, at, g, 1.0, 0.01, 1.0,
        Map.of("lambdaC", new ExtraGradient(0.5, 3.0), "undeclared", new ExtraGradient(1, 1))));
    send(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "r", 1, at, g, 1.0, 0.01, 1.0,
        Map.of("lambdaC", new ExtraGradient(0.4, Double.NaN))));
    send(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "r", 2, at, g, 1.0, 0.01, 1.0));

    List<MetaParams> out = awaitMetaParams(3);
    ExtraValue first = out.get(0).extra().get("lambdaC");
    assertEquals(0.5 - 0.1 * 1.0, first.b(), TOL); // clipped to c = 1, as b's components
    assertEquals(ExtraParameter.COMPLEXITY.value(first.b()), first.value(), TOL);
    assertEquals(0.5 - 0.1 * 0.2, out.get(0).b().b1(), TOL);
    assertEquals(List.of("lambdaC"), List.copyOf(out.get(0).extra().keySet()));
    // a non-finite extra gradient skips the whole update and keeps the point it was taken at;
    // a declared extra that is missing counts the same, and keeps the last published value
    assertEquals(at, out.get(1).b());
    assertEquals(0.4, out.get(1).extra().get("lambdaC").b(), TOL);
    assertEquals(at, out.get(2).b());
    assertEquals(0.4, out.get(2).extra().get("lambdaC").b(), TOL);
    await(() -> service.stats().skippedNonFinite() == 2);
    assertEquals(new MetaOptimizerStats(1, 2, 0, 0, 1), service.stats());
  }

  @Test
  void structureLogitsAreUpdatedByTheSameRuleAsB() {
    RunStarted started = runStarted("r", OptimizerKind.SGD, 0.1, 1.0);
    sendRun(new RunStarted(started.schemaVersion(), "r", started.config().withExtraMeta(
        Map.of("logAlpha0", 0.0, "logAlpha1", 0.0, "logAlpha2", 0.0)), 0L,
        started.provenance()));
    start("g", SGD);
    Unconstrained at = new Unconstrained(0.5, -0.5, 0.25);
    send(new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "r", 0, at,
        new Unconstrained(0.2, 0.1, -0.4), 1.0, 0.01, 1.0,
        Map.of("logAlpha0", new ExtraGradient(0.3, 0.5), "logAlpha1", new ExtraGradient(-1, -4),
            "logAlpha2", new ExtraGradient(2, 0))));

    Map<String, ExtraValue> out = awaitMetaParams(1).get(0).extra();
    assertEquals(0.3 - 0.1 * 0.5, out.get("logAlpha0").b(), TOL);
    assertEquals(-1 + 0.1 * 1.0, out.get("logAlpha1").b(), TOL); // clipped to c = 1
    assertEquals(2.0, out.get("logAlpha2").b(), TOL);
    for (ExtraValue v : out.values()) {
      assertEquals(v.b(), v.value(), 0.0); // a logit is its own coordinate
    }
  }

  @Test
  void duplicatesAreDeadLetteredAndGiveOneUpdatePerVersion() {
    sendRun(runStarted("r", OptimizerKind.SGD, 0.1, 1.0));
    MetaOptimizerService service = start("g", SGD);
    Unconstrained at = new Unconstrained(0, 0, 0);
    Unconstrained g = new Unconstrained(0.1, 0.1, 0.1);
    send(hyper("r", 0, at, g), hyper("r", 1, at, g), hyper("r", 1, at, g),
        hyper("r", 0, at, g), hyper("r", 2, at, g));

    List<MetaParams> out = awaitMetaParams(3);
    assertEquals(List.of(1L, 2L, 3L), out.stream().map(MetaParams::version).toList());
    await(() -> service.stats().duplicates() == 2);
    assertEquals(new MetaOptimizerStats(3, 0, 2, 0, 1), service.stats());
    // Skipped hypergradients are dead-lettered and acknowledged, so the group commits all five.
    await(() -> bus.committed(TOPICS.hyperGradients().topic(), "g") == 5);
    assertEquals(2, bus.deadLetterCount());
  }

  @Test
  void nonFiniteHyperGradientKeepsBButStillPublishesItsVersion() {
    sendRun(runStarted("r", OptimizerKind.SGD, 0.1, 1.0));
    MetaOptimizerService service = start("g", SGD);
    Unconstrained at = new Unconstrained(0.3, 0.2, 0.1);
    send(hyper("r", 0, at, new Unconstrained(Double.NaN, 0, 0)));
    send(hyper("r", 1, at, new Unconstrained(0.5, 0.5, 0.5)));
    send(hyper("r", 2, new Unconstrained(Double.POSITIVE_INFINITY, 0, 0), at));

    List<MetaParams> out = awaitMetaParams(3);
    assertEquals(at, out.get(0).b());
    assertEquals(0.3 - 0.05, out.get(1).b().b1(), TOL);
    // at itself not finite: the last finite b of the run (version 2) is kept.
    assertEquals(out.get(1).b(), out.get(2).b());
    assertEquals(3, out.get(2).version());
    await(() -> service.stats().skippedNonFinite() == 2);
    assertEquals(new MetaOptimizerStats(1, 2, 0, 0, 1), service.stats());
  }

  @Test
  void servesManyRunsAtOnceWithOneUpdatePerVersionEach() {
    MetaOptimizerService service = start("g", SGD);
    int runs = 20;
    int steps = 10;
    for (int r = 0; r < runs; r++) {
      sendRun(runStarted("run-" + r, OptimizerKind.SGD, 0.1, 1.0));
    }
    List<HyperGradient> all = new ArrayList<>();
    for (int t = 0; t < steps; t++) {
      for (int r = 0; r < runs; r++) {
        all.add(hyper("run-" + r, t, new Unconstrained(r, t, 0), new Unconstrained(0.5, 0, 0)));
      }
    }
    send(all.toArray(HyperGradient[]::new));

    List<MetaParams> out = awaitMetaParams(runs * steps);
    Map<String, List<Long>> versions = new HashMap<>();
    for (MetaParams p : out) {
      versions.computeIfAbsent(p.runId(), k -> new ArrayList<>()).add(p.version());
      assertEquals(p.runId(), "run-" + (long) Math.rint(p.b().b1() + 0.05));
      assertEquals(p.version() - 1, p.b().b2(), TOL);
    }
    assertEquals(runs, versions.size());
    List<Long> expected = new ArrayList<>();
    for (long v = 1; v <= steps; v++) {
      expected.add(v);
    }
    versions.values().forEach(v -> assertEquals(expected, v));
    assertEquals(new MetaOptimizerStats(runs * steps, 0, 0, 0, runs), service.stats());
  }

  @Test
  void perRunRuleComesFromRunStartedAndRunsNeverStartedGetNothing() {
    sendRun(runStarted("adam-run", OptimizerKind.ADAM, 0.05, 0.5));
    sendRun(runStarted("sgd-run", OptimizerKind.SGD, 0.2, 10.0));
    MetaOptimizerService service = start("g", SGD);
    Unconstrained at = new Unconstrained(0, 0, 0);
    Unconstrained g = new Unconstrained(2.0, -0.1, 0);
    send(hyper("unknown", 0, at, g), hyper("adam-run", 0, at, g), hyper("sgd-run", 0, at, g));

    Map<String, MetaParams> byRun = new HashMap<>();
    awaitMetaParams(2).forEach(p -> byRun.put(p.runId(), p));
    // Adam's first step is η·sign(g) per non-zero component.
    assertEquals(-0.05 * 0.5 / (0.5 + 1e-8), byRun.get("adam-run").b().b1(), TOL);
    assertEquals(0.05 * 0.1 / (0.1 + 1e-8), byRun.get("adam-run").b().b2(), TOL);
    assertEquals(-0.2 * 2.0, byRun.get("sgd-run").b().b1(), TOL);
    assertEquals(new MetaOptimizerStats(2, 0, 0, 1, 2), service.stats());
    assertEquals(1, bus.deadLetterCount());
    assertEquals(List.of("adam-run", "sgd-run"), bus.replay(TOPICS.metaParams())
        .map(MetaParams::runId).sort().collectList().block());
  }

  @Test
  void aFarAheadStepIsDeadLetteredAndTheRunsOwnSequenceGoesOn() {
    sendRun(runStarted("r", OptimizerKind.SGD, 0.1, 1.0));
    MetaOptimizerService service = start("g", SGD);
    Unconstrained at = new Unconstrained(0, 0, 0);
    Unconstrained g = new Unconstrained(0.1, 0, 0);
    send(hyper("r", 0, at, g), hyper("r", 4700, at, g), hyper("r", 1, at, g),
        hyper("r", 2, at, g));

    List<MetaParams> out = awaitMetaParams(3);
    assertEquals(List.of(1L, 2L, 3L), out.stream().map(MetaParams::version).toList());
    await(() -> service.stats().rejected() == 1);
    assertEquals(new MetaOptimizerStats(3, 0, 0, 1, 1), service.stats());
    assertEquals(1, bus.deadLetterCount());
  }

  @Test
  void aRunHandedOverBeforeTheStateFeedReadItsVersionsGoesOnAfterAReread() {
    AtomicInteger rereads = new AtomicInteger();
    EventBus lagging = stateFeedLagging(rereads);
    sendRun(runStarted("r", OptimizerKind.SGD, 0.1, 1.0));
    MetaOptimizerService survivor = new MetaOptimizerService(lagging, TOPICS, "g", SGD);
    services.add(survivor);
    survivor.start();
    rereads.set(0); // the rebuild's read
    Unconstrained at = new Unconstrained(0, 0, 0);
    // versions 1..3, published by the instance that owned the run's partition until now
    bus.publish(TOPICS.metaParams(), Flux.range(1, 3).map(v -> new MetaParams(
        Event.CURRENT_SCHEMA_VERSION, "r", v, at.toValues(), at, MetaParamSource.OPTIMIZER)))
        .blockLast(Duration.ofSeconds(5));
    send(hyper("r", 3, at, new Unconstrained(0.1, 0, 0)));

    List<Long> versions = awaitMetaParams(4).stream().map(MetaParams::version).toList();
    assertEquals(List.of(1L, 2L, 3L, 4L), versions);
    assertEquals(new MetaOptimizerStats(1, 0, 0, 0, 1), survivor.stats());
    assertEquals(0, bus.deadLetterCount());
    assertEquals(1, rereads.get());
  }

  @Test
  void hyperGradientsSentAheadOnPurposeRereadTheTopicAtMostOnceASecondPerRun() {
    AtomicInteger rereads = new AtomicInteger();
    EventBus lagging = stateFeedLagging(rereads);
    sendRun(runStarted("r", OptimizerKind.SGD, 0.1, 1.0));
    MetaOptimizerService service = new MetaOptimizerService(lagging, TOPICS, "g", SGD);
    services.add(service);
    service.start();
    rereads.set(0); // the rebuild's read
    Unconstrained at = new Unconstrained(0, 0, 0);
    Unconstrained g = new Unconstrained(0.1, 0, 0);
    send(Flux.range(0, 50).map(i -> hyper("r", 4700 + i, at, g)).collectList().block()
        .toArray(HyperGradient[]::new));

    await(() -> service.stats().rejected() == 50);
    assertEquals(50, bus.deadLetterCount());
    assertTrue(rereads.get() <= 3, "rereads: " + rereads.get());
  }

  @Test
  void anAdamRunHandedOverGoesOnWithTheMomentsOfTheVersionsPublishedBeforeTheHandover() {
    sendRun(runStarted("r", OptimizerKind.ADAM, 0.1, 1.0));
    List<HyperGradient> inputs = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      inputs.add(hyper("r", t, new Unconstrained(t, -t, 0),
          new Unconstrained(0.3 * t - 0.4, 0.2, 0.7)));
    }
    MetaUpdateRule reference = new MetaUpdateRule(OptimizerKind.ADAM, 0.1, 1.0);
    List<Unconstrained> expected = new ArrayList<>();
    for (HyperGradient h : inputs) {
      expected.add(reference.step(h.at(), h.gradient()));
    }
    // This instance started before the run had updates, so its rebuild replayed nothing; the
    // instance that had the run's partition took steps 0..2 and published versions 1..3.
    EventBus handedOver = new EventBus() {
      @Override
      public <E extends Event> Flux<Delivery<E>> publish(Channel<E> channel,
          Flux<? extends E> events) {
        return bus.publish(channel, events);
      }

      @Override
      public <E extends Event> Flux<Received<E>> consume(Channel<E> channel,
          ConsumerOptions options) {
        return channel.equals(TOPICS.hyperGradients())
            ? bus.consume(channel, options)
                .filter(r -> ((HyperGradient) r.event()).step() >= 3)
            : bus.consume(channel, options);
      }

      @Override
      public <E extends Event> Flux<E> replay(Channel<E> channel) {
        return bus.replay(channel);
      }

      @Override
      public void close() {}
    };
    MetaOptimizerService survivor = new MetaOptimizerService(handedOver, TOPICS, "g", SGD);
    services.add(survivor);
    survivor.start();
    send(inputs.get(0), inputs.get(1), inputs.get(2));
    bus.publish(TOPICS.metaParams(), Flux.range(0, 3).map(i -> new MetaParams(
        Event.CURRENT_SCHEMA_VERSION, "r", i + 1, expected.get(i).toValues(), expected.get(i),
        MetaParamSource.OPTIMIZER))).blockLast(Duration.ofSeconds(5));
    await(() -> bus.replay(TOPICS.metaParams()).count().block() == 3);
    send(inputs.get(3));

    MetaParams fourth = awaitMetaParams(4).get(3);
    assertEquals(4, fourth.version());
    assertEquals(expected.get(3).b1(), fourth.b().b1(), TOL);
    assertEquals(expected.get(3).b2(), fourth.b().b2(), TOL);
    assertEquals(expected.get(3).b3(), fourth.b().b3(), TOL);
  }

  /**
   * The test's bus, except that the meta-optimizer's own follower of the metaparams topic reads
   * nothing (as if far behind), and replays of that topic are counted.
   */
  private EventBus stateFeedLagging(AtomicInteger metaParamsReplays) {
    return new EventBus() {
      @Override
      public <E extends Event> Flux<Delivery<E>> publish(Channel<E> channel,
          Flux<? extends E> events) {
        return bus.publish(channel, events);
      }

      @Override
      public <E extends Event> Flux<Received<E>> consume(Channel<E> channel,
          ConsumerOptions options) {
        boolean stateFeed = channel.equals(TOPICS.metaParams())
            && options.groupId().endsWith(".state");
        return stateFeed ? Flux.never() : bus.consume(channel, options);
      }

      @Override
      public <E extends Event> Flux<E> replay(Channel<E> channel) {
        return Flux.defer(() -> {
          if (channel.equals(TOPICS.metaParams())) {
            metaParamsReplays.incrementAndGet();
          }
          return bus.replay(channel);
        });
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void aForecastRunIsAnsweredOnlyInTheFirstMiniEpochOfEachPeriod() {
    // E = 2, n = 3: hypergradient steps 0, 1, 6, 7, 12, …
    sendRun(new RunStarted(Event.CURRENT_SCHEMA_VERSION, "f",
        forecastConfig(2, 3), 0L, new Provenance("test", "17", "h", "cpu")));
    MetaOptimizerService service = start("g", SGD);
    Unconstrained at = new Unconstrained(0, 0, 0);
    Unconstrained g = new Unconstrained(0.1, 0, 0);
    send(hyper("f", 0, at, g), hyper("f", 1, at, g), hyper("f", 3, at, g),
        hyper("f", 6, at, g), hyper("f", 8, at, g), hyper("f", 7, at, g));

    List<MetaParams> out = awaitMetaParams(4);
    assertEquals(List.of(1L, 2L, 7L, 8L), out.stream().map(MetaParams::version).toList());
    await(() -> service.stats().rejected() == 2);
  }

  @Test
  void metaParamsAheadOfTheSequenceOnTheTopicPoisonNeitherTheLiveStateNorARestart() {
    sendRun(runStarted("r", OptimizerKind.SGD, 0.1, 1.0));
    Unconstrained at = new Unconstrained(0, 0, 0);
    Unconstrained g = new Unconstrained(0.1, 0, 0);
    MetaOptimizerService first = start("g", SGD);
    send(hyper("r", 0, at, g));
    awaitMetaParams(1);
    // Someone else writes a version far ahead, as the optimizer would.
    bus.publish(TOPICS.metaParams(), Flux.just(new MetaParams(Event.CURRENT_SCHEMA_VERSION, "r",
        4701, at.toValues(), at, MetaParamSource.OPTIMIZER))).blockLast(Duration.ofSeconds(5));
    await(() -> bus.deadLetterCount() == 1);
    send(hyper("r", 1, at, g));
    awaitMetaParams(3);
    first.close();

    MetaOptimizerService second = start("g", SGD);
    send(hyper("r", 2, at, g));
    List<Long> versions = awaitMetaParams(4).stream().map(MetaParams::version).toList();
    assertEquals(List.of(1L, 4701L, 2L, 3L), versions);
    assertEquals(new MetaOptimizerStats(1, 0, 0, 0, 1), second.stats());
    assertEquals(1, bus.deadLetterCount(), "the forged version is dead-lettered once");
  }

  @Test
  void runStartedSeenAfterStartAlsoSetsTheRule() {
    start("g", SGD);
    sendRun(runStarted("late", OptimizerKind.SGD, 0.3, 10.0));
    send(hyper("late", 0, new Unconstrained(0, 0, 0), new Unconstrained(2.0, 0, 0)));
    assertEquals(-0.3 * 2.0, awaitMetaParams(1).get(0).b().b1(), TOL);
  }

  @Test
  void invalidMetaSettingsInRunStartedFallBackToTheDefaults() {
    sendRun(runStarted("bad", OptimizerKind.ADAM, 0.0, 1.0));
    start("g", SGD);
    send(hyper("bad", 0, new Unconstrained(0, 0, 0), new Unconstrained(0.5, 0, 0)));
    assertEquals(-0.1 * 0.5, awaitMetaParams(1).get(0).b().b1(), TOL);
  }

  @Test
  void restartRebuildsTheLastVersionSoNoVersionIsPublishedTwice() {
    Unconstrained at = new Unconstrained(0, 0, 0);
    Unconstrained g = new Unconstrained(0.1, 0, 0);
    threeVersionsPublished("r", at, g).close();

    // Another group re-reads every hypergradient, as after a crash before any commit.
    MetaOptimizerService second = start("other-group", SGD);
    send(hyper("r", 2, at, g), hyper("r", 3, at, g));

    List<MetaParams> out = awaitMetaParams(4);
    assertEquals(List.of(1L, 2L, 3L, 4L), out.stream().map(MetaParams::version).toList());
    await(() -> second.stats().duplicates() == 4);
    assertEquals(new MetaOptimizerStats(1, 0, 4, 0, 1), second.stats());
  }

  @Test
  void aRestartReadsNoVersionOfARunEndedBeforeItYetRejectsTheRunsLateDuplicates() {
    Unconstrained at = new Unconstrained(0, 0, 0);
    Unconstrained g = new Unconstrained(0.1, 0, 0);
    MetaOptimizerService first = threeVersionsPublished("done", at, g);
    sendRun(new RunFinished(Event.CURRENT_SCHEMA_VERSION, "done", 3, null, 3, 0, 1.0, 0.5, null,
        System.currentTimeMillis()));
    first.close();
    Instant liveStart = WallClock.nextMillisecond();
    RunStarted live = runStarted("live", OptimizerKind.SGD, 0.1, 1.0);
    sendRun(new RunStarted(Event.CURRENT_SCHEMA_VERSION, "live", live.config(),
        liveStart.toEpochMilli(), live.provenance()));

    AtomicInteger replayed = new AtomicInteger();
    EventBus counting = new ForwardingEventBus(bus) {
      @Override
      public <E extends Event> Flux<E> replay(Channel<E> channel, Instant since) {
        return super.replay(channel, since).doOnNext(e -> replayed.incrementAndGet());
      }
    };
    MetaOptimizerService second =
        new MetaOptimizerService(counting, TOPICS, "g", SGD, Duration.ZERO, Duration.ZERO);
    services.add(second);
    second.start();
    assertEquals(0, replayed.get(), "records read at start");

    // A late copy of the ended run's first hypergradient, whose version would be the next one
    // if its versions were not read now.
    send(hyper("done", 0, at, g), hyper("live", 0, at, g));
    await(() -> second.stats().duplicates() == 1 && second.stats().updates() == 1);
    assertEquals(3, replayed.get(), "the ended run's versions, read once");
    List<MetaParams> out = awaitMetaParams(4);
    assertEquals(List.of("done", "done", "done", "live"),
        out.stream().map(MetaParams::runId).toList());
    assertEquals(List.of(1L, 2L, 3L, 1L), out.stream().map(MetaParams::version).toList());
  }

  @Test
  void restartResumesAfterTheCommittedHyperGradientsOfItsGroup() {
    sendRun(runStarted("r", OptimizerKind.SGD, 0.1, 1.0));
    start("g", SGD).close();
    Unconstrained at = new Unconstrained(0, 0, 0);
    Unconstrained g = new Unconstrained(0.1, 0, 0);
    MetaOptimizerService first = start("g2", SGD);
    send(hyper("r", 0, at, g), hyper("r", 1, at, g));
    awaitMetaParams(2);
    first.close();

    MetaOptimizerService second = start("g2", SGD);
    send(hyper("r", 2, at, g));
    awaitMetaParams(3);
    await(() -> second.stats().updates() == 1);
    assertEquals(new MetaOptimizerStats(1, 0, 0, 0, 1), second.stats());
  }

  @Test
  void restartRebuildsAdamMomentsByReplayingTheHyperGradients() {
    sendRun(runStarted("r", OptimizerKind.ADAM, 0.1, 1.0));
    List<HyperGradient> inputs = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      inputs.add(hyper("r", t, new Unconstrained(t, -t, 0), new Unconstrained(0.3 * t - 0.4, 0.2, 0.7)));
    }
    MetaUpdateRule reference = new MetaUpdateRule(OptimizerKind.ADAM, 0.1, 1.0);
    List<Unconstrained> expected = new ArrayList<>();
    for (HyperGradient h : inputs) {
      expected.add(reference.step(h.at(), h.gradient()));
    }

    MetaOptimizerService first = start("g", SGD);
    send(inputs.get(0), inputs.get(1));
    awaitMetaParams(2);
    first.close();
    start("g", SGD);
    send(inputs.get(2), inputs.get(3));

    List<Unconstrained> out = awaitMetaParams(4).stream().map(MetaParams::b).toList();
    for (int i = 0; i < 4; i++) {
      assertEquals(expected.get(i).b1(), out.get(i).b1(), TOL, "b1 of version " + (i + 1));
      assertEquals(expected.get(i).b2(), out.get(i).b2(), TOL, "b2 of version " + (i + 1));
    }
  }

  @Test
  void startingTwiceIsRejected() {
    MetaOptimizerService service = start("g", SGD);
    assertThrows(IllegalStateException.class, service::start);
  }

  @Test
  void blankGroupIsRejectedNamingTheGroup() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new MetaOptimizerService(bus, TOPICS, " ", SGD));
    assertEquals("groupId must not be blank", e.getMessage());
  }

  private MetaOptimizerService start(String group, MetaOptimizerSettings settings) {
    MetaOptimizerService service = new MetaOptimizerService(bus, TOPICS, group, settings);
    services.add(service);
    service.start();
    return service;
  }

  /** A service of group "g" that has published versions 1–3 of an SGD run's hypergradients. */
  private MetaOptimizerService threeVersionsPublished(String run, Unconstrained at,
      Unconstrained g) {
    sendRun(runStarted(run, OptimizerKind.SGD, 0.1, 1.0));
    MetaOptimizerService service = start("g", SGD);
    send(hyper(run, 0, at, g), hyper(run, 1, at, g), hyper(run, 2, at, g));
    awaitMetaParams(3);
    return service;
  }

  private void send(HyperGradient... gradients) {
    bus.publish(TOPICS.hyperGradients(), Flux.just(gradients)).blockLast(Duration.ofSeconds(5));
  }

  private void sendRun(RunEvent event) {
    bus.publish(TOPICS.runs(), Flux.just(event)).blockLast(Duration.ofSeconds(5));
  }

  private List<MetaParams> awaitMetaParams(int count) {
    return bus.consume(TOPICS.metaParams(), io.distilflux.pipeline.ConsumerOptions.earliest(
            "reader-" + java.util.UUID.randomUUID()))
        .map(r -> r.event())
        .take(count)
        .collectList()
        .block(Duration.ofSeconds(10));
  }

  private static void await(BooleanSupplier condition) {
    Mono.fromSupplier(condition::getAsBoolean)
        .repeatWhenEmpty(f -> f.delayElements(Duration.ofMillis(10)))
        .filter(Boolean::booleanValue)
        .repeatWhenEmpty(100, f -> f.delayElements(Duration.ofMillis(20)))
        .block(Duration.ofSeconds(5));
  }

  private static HyperGradient hyper(String run, long step, Unconstrained at, Unconstrained g) {
    return new HyperGradient(Event.CURRENT_SCHEMA_VERSION, run, step, at, g, 1.0, 0.01);
  }

  private static RunConfig forecastConfig(int miniEpoch, int forecastEvery) {
    return new RunConfig(
        RunConfig.DatasetKind.SYNTHETIC, "", RunConfig.Mode.FORECAST, 1L, 1, 100, 0,
        "teacher", "student", OptimizerKind.SGD, 0.01, OptimizerKind.SGD, 0.1, 1.0, miniEpoch,
        forecastEvery, new Unconstrained(0, 0, -1), false, 10, 0, false);
  }

  /** A hypergradient run's start with the given meta rule; shared by the Kafka tests. */
  public static RunStarted runStarted(String run, OptimizerKind kind, double eta, double clip) {
    RunConfig config =
        new RunConfig(
            RunConfig.DatasetKind.SYNTHETIC, "", RunConfig.Mode.HYPERGRADIENT, 1L, 1, 10, 0,
            "teacher", "student", OptimizerKind.SGD, 0.01, kind, eta, clip, 10, 2,
            new Unconstrained(0, 0, -1), false, 10, 1, false);
    return new RunStarted(
        Event.CURRENT_SCHEMA_VERSION, run, config, 0L, new Provenance("test", "17", "h", "cpu"));
  }
}
