package io.distilflux.trainer.run;

import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Provenance;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.data.Batch;
import io.distilflux.trainer.data.DistillationData;
import io.distilflux.trainer.data.MiniBatches;
import io.distilflux.trainer.data.Split;
import io.distilflux.trainer.data.ValidationSampler;
import io.distilflux.trainer.distill.DistillationLoss;
import io.distilflux.pipeline.event.ExtraParameter;
import io.distilflux.trainer.distill.DistillationTrainer;
import io.distilflux.trainer.structure.Supernet;
import io.distilflux.trainer.distill.Divergence;
import io.distilflux.trainer.speed.NativeOpsStep;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.LongFunction;
import io.micrometer.core.instrument.Counter;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds {@link StudentRun}s on a bus: takes the run's data and teacher's logits and a new
 * student from its {@link RunData}, creates the student's trainer, and picks the {@link
 * MetaSource} of the run's mode.
 */
public final class RunAssembler {

  private final RunData data;
  private final EventBus bus;
  private final Topics topics;
  private final Duration metaTimeout;
  private final Provenance provenance;
  private final LongRunOptions longRun;
  private final int computeThreads;
  /** Where optimised runs read their updates and forecasts, or null for readers of their own. */
  private final MetaFeed metaFeed;

  /**
   * @param bus where optimised runs read their meta-parameters from
   * @param metaTimeout how long a run waits for an update or a forecast
   */
  public RunAssembler(DataOptions options, EventBus bus, Topics topics, Duration metaTimeout,
      Provenance provenance) {
    this(options, bus, topics, metaTimeout, provenance, LongRunOptions.defaults());
  }

  /** As the other constructor, with checkpoints and a meta-timeout policy. */
  public RunAssembler(DataOptions options, EventBus bus, Topics topics, Duration metaTimeout,
      Provenance provenance, LongRunOptions longRun) {
    this(new RunData(options), bus, topics, metaTimeout, provenance, longRun);
  }

  /**
   * As the other constructors, with data that may already be loaded (e.g. while the services
   * started).
   */
  public RunAssembler(RunData data, EventBus bus, Topics topics, Duration metaTimeout,
      Provenance provenance, LongRunOptions longRun) {
    this(data, bus, topics, metaTimeout, provenance, longRun, NativeOpsStep.defaultThreads(),
        null);
  }

  private RunAssembler(RunData data, EventBus bus, Topics topics, Duration metaTimeout,
      Provenance provenance, LongRunOptions longRun, int computeThreads, MetaFeed metaFeed) {
    if (computeThreads < 1) {
      throw new IllegalArgumentException("compute threads must be >= 1, got " + computeThreads);
    }
    this.longRun = longRun;
    this.data = data;
    this.bus = bus;
    this.topics = topics;
    this.metaTimeout = metaTimeout;
    this.provenance = provenance;
    this.computeThreads = computeThreads;
    this.metaFeed = metaFeed;
  }

  /**
   * The same assembler (sharing its prepared data and teachers) whose runs compute a student
   * step on {@code threads} threads; they change the speed, never the numbers.
   */
  public RunAssembler withComputeThreads(int threads) {
    return new RunAssembler(data, bus, topics, metaTimeout, provenance, longRun, threads,
        metaFeed);
  }

  /**
   * The same assembler whose optimised runs read their updates and forecasts from {@code feed}
   * (which must know their run ids) instead of readers of their own.
   */
  public RunAssembler withMetaFeed(MetaFeed feed) {
    return new RunAssembler(data, bus, topics, metaTimeout, provenance, longRun,
        computeThreads, feed);
  }

  /** The name of the ND4J backend in use, for provenance. */
  public static String backendName() {
    return Nd4j.getBackend().getClass().getSimpleName();
  }

  /** The data and students its runs are made of. */
  public RunData data() {
    return data;
  }

  /** A run, ready to be subscribed to. */
  public StudentRun assemble(String runId, RunConfig config) {
    return build(runId, config, null, PublishedEvents.none());
  }

  /**
   * The run of a checkpoint folder ({@code OUTPUT/checkpoints/<runId>}), continued from its
   * newest checkpoint whose step is not past the events already on the topics, with those events
   * not published again.
   *
   * @throws IllegalArgumentException when there is no usable checkpoint, or a streamed run's
   *     history is not on the bus
   */
  public StudentRun resume(Path runFolder) {
    CheckpointStore store = new CheckpointStore(runFolder, longRun.checkpointing().keep());
    List<Path> all = store.list();
    if (all.isEmpty()) {
      throw new IllegalArgumentException("no checkpoint in " + runFolder);
    }
    Checkpoint newest = CheckpointStore.read(all.get(all.size() - 1));
    InputSources.verify(newest.config());
    String runId = newest.runId();
    PublishedEvents published = PublishedEvents.read(bus, topics, runId).block();
    boolean streamed = newest.config().mode() == RunConfig.Mode.HYPERGRADIENT
        || newest.config().mode() == RunConfig.Mode.FORECAST;
    if (!published.started()) {
      if (streamed) {
        throw new IllegalArgumentException("run " + runId + " is not on the topics of this bus: a "
            + newest.config().mode().cliName() + " run resumes with its history (the same"
            + " --kafka-dir or --bootstrap-servers and --topic-prefix)");
      }
      return build(runId, newest.config(), newest, PublishedEvents.none());
    }
    // Events after the last delivered step may have been lost with the process: resume from a
    // checkpoint no later than the first step missing from the topic.
    long missing = published.firstMissingStep();
    Checkpoint chosen = null;
    for (int i = all.size() - 1; i >= 0 && chosen == null; i--) {
      if (CheckpointStore.stepOf(all.get(i)) <= missing) {
        chosen = i == all.size() - 1 ? newest : CheckpointStore.read(all.get(i));
      }
    }
    if (chosen == null) {
      throw new IllegalArgumentException("run " + runId + ": the topics hold steps up to "
          + (missing - 1) + " but the oldest checkpoint kept starts at step "
          + CheckpointStore.stepOf(all.get(0)) + "; the steps between cannot be reproduced");
    }
    return build(runId, chosen.config(), chosen, published);
  }

  private StudentRun build(String runId, RunConfig config, Checkpoint from,
      PublishedEvents published) {
    PreparedData prepared = data.prepare(config);
    DistillationData d = prepared.data();
    Split train = d.studentTrain();
    var student = data.student(config, train.features(), d.classes());
    DistillationLoss loss = new DistillationLoss(config.temperatureSquared(),
        Divergence.of(config.divergence()));
    DistillationTrainer trainer;
    if (config.extraMeta().containsKey(ExtraParameter.COMPLEXITY.jsonName())) {
      // λ_c weighs the KL of a variational student: the run trains the student's layers as one
      if (longRun.checkpointing().enabled() || from != null) {
        throw new IllegalArgumentException(
            "checkpoints are not supported for a variational student (--complexity-weight)");
      }
      trainer = DistillationTrainer.variational(student, config.innerOptimizer(),
          config.innerLearningRate(), loss, config.unrolledDerivative(), train.size(),
          config.seed());
    } else if (config.extraMeta().containsKey(ExtraParameter.LOG_ALPHA_0.jsonName())) {
      // structure logits among the extras: the student is the standard supernet, searched live
      if (longRun.checkpointing().enabled() || from != null) {
        throw new IllegalArgumentException(
            "checkpoints are not supported for a supernet student (--structure-search)");
      }
      long input = train.features().length() / train.size();
      Supernet net = Supernet.standard((int) input, d.classes());
      long logits = config.extraMeta().keySet().stream()
          .filter(name -> ExtraParameter.require(name).isStructureLogit()).count();
      if (logits != net.structureSize()) {
        throw new IllegalArgumentException("the supernet has " + net.structureSize()
            + " structure logits, the run declares " + logits);
      }
      // the search takes the first half of the run; the discrete student the rest
      trainer = DistillationTrainer.supernet(student, net, config.innerLearningRate(), loss,
          config.seed(), config.steps() / 2, config.miniEpoch());
    } else {
      trainer = new DistillationTrainer(student, config.innerOptimizer(),
          config.innerLearningRate(), loss, config.unrolledDerivative(), computeThreads);
    }
    long firstStep = 0;
    if (from != null) {
      if (from.params().length() != student.params().length()) {
        throw new IllegalArgumentException("checkpoint of run " + runId + " has "
            + from.params().length() + " parameters, the student " + student.params().length());
      }
      student.params().assign(from.params().reshape(student.params().shape()));
      trainer.restoreOptimizerState(from.optimizer());
      firstStep = from.step();
    }
    int batchSize = config.batchSize() <= 0 ? train.size() : config.batchSize();
    MiniBatches batches =
        new MiniBatches(train, prepared.teacher().logits(), batchSize, config.seed());
    ValidationSampler sampler = new ValidationSampler(d.validation(),
        config.batchSize() <= 0 ? d.validation().size() : config.batchSize(), config.seed());
    LongFunction<Split> validationBatch = sampler::draw;
    Checkpointing checkpointing = longRun.checkpointing();
    StudentRun.Controls controls = new StudentRun.Controls(longRun.onMetaTimeout(),
        Counter.builder("distilflux.meta.held.steps")
            .description("steps trained with a held λ because its update was late")
            .baseUnit("steps")
            .tag("run", runId)
            .register(longRun.registry()),
        checkpointing.enabled() ? checkpointing.storeFor(runId) : null, checkpointing.every(),
        from, published);
    return new StudentRun(runId, config, trainer,
        epochs(batches, config.steps(), firstStep), batches.batchesPerEpoch(), validationBatch,
        d.validation(), d.test(), metaSource(runId, config, from != null), metaTimeout, provenance,
        controls);
  }

  private MetaSource metaSource(String runId, RunConfig config, boolean resumed) {
    // A resumed run does not have the Adam moments of its steps before: it waits for updates.
    int runAhead = resumed && config.metaOptimizer() == RunConfig.OptimizerKind.ADAM
        ? 0 : longRun.runAhead();
    return switch (config.mode()) {
      case NO_DISTILLATION -> FixedMetaSource.noDistillation().withExtra(config.extraMeta());
      case FIXED, RANDOM -> FixedMetaSource.fixed(config.initial()).withExtra(config.extraMeta());
      case HYPERGRADIENT, FORECAST -> metaFeed != null
          ? new StreamedMetaSource(metaFeed, runId, config, config.initial(), runAhead)
          : new StreamedMetaSource(bus, topics, runId, config, config.initial(), runAhead);
    };
  }

  /** Batches of consecutive epochs, from batch {@code first} up to {@code steps} in all. */
  private static Iterator<Batch> epochs(MiniBatches batches, long steps, long first) {
    int perEpoch = batches.batchesPerEpoch();
    return new Iterator<>() {
      long produced = first;
      long epoch = first / perEpoch;
      Iterator<Batch> current = batches.epoch(epoch, (int) (first % perEpoch));

      @Override
      public boolean hasNext() {
        return produced < steps;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        if (!current.hasNext()) {
          current = batches.epoch(++epoch);
        }
        produced++;
        return current.next();
      }
    };
  }
}
