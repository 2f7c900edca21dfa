package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaParams;
import io.distilflux.pipeline.event.RunEvent;
import io.distilflux.pipeline.event.StructureChosen;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.TrajectoryForecast;
import java.util.List;

/**
 * The topic names of one deployment, all sharing a prefix (default {@code distilflux.}).
 *
 * @param prefix prepended to every topic name
 */
public record Topics(String prefix) {

  /** The default prefix. */
  public static final String DEFAULT_PREFIX = "distilflux.";

  /** The longest prefix: Kafka allows 249 characters a topic name, the longest suffix is 14. */
  public static final int MAX_PREFIX_LENGTH = 200;

  /**
   * Checks the prefix against Kafka's rules for topic names, so that a bad one is a line before
   * anything starts rather than a broker's refusal once it has.
   *
   * @throws IllegalArgumentException when the prefix holds other characters than ASCII letters,
   *     digits, '.', '_' and '-', or is longer than {@link #MAX_PREFIX_LENGTH}
   */
  public Topics {
    java.util.Objects.requireNonNull(prefix, "prefix");
    if (!prefix.matches("[A-Za-z0-9._-]*") || prefix.length() > MAX_PREFIX_LENGTH) {
      throw new IllegalArgumentException("topic prefix may hold only ASCII letters, digits, '.', "
          + "'_' and '-', at most " + MAX_PREFIX_LENGTH + " of them, got '"
          + (prefix.length() > 60 ? prefix.substring(0, 60) + "…" : prefix) + "'");
    }
  }

  /** Topics with the default prefix. */
  public static Topics defaults() {
    return new Topics(DEFAULT_PREFIX);
  }

  /** Training steps, {@code <prefix>steps}; nobody waits on them. */
  public Channel<TrainingStep> steps() {
    return new Channel<>(prefix + "steps", TrainingStep.class, Channel.Urgency.BACKGROUND);
  }

  /** Hypergradients, {@code <prefix>hypergradients}. */
  public Channel<HyperGradient> hyperGradients() {
    return new Channel<>(prefix + "hypergradients", HyperGradient.class,
        Channel.Urgency.ROUND);
  }

  /** Meta-parameter updates, {@code <prefix>metaparams}. */
  public Channel<MetaParams> metaParams() {
    return new Channel<>(prefix + "metaparams", MetaParams.class, Channel.Urgency.ROUND);
  }

  /** Trajectory forecasts, {@code <prefix>forecasts}. */
  public Channel<TrajectoryForecast> forecasts() {
    return new Channel<>(prefix + "forecasts", TrajectoryForecast.class);
  }

  /** Evaluations, {@code <prefix>evaluations}; nobody waits on them. */
  public Channel<Evaluation> evaluations() {
    return new Channel<>(prefix + "evaluations", Evaluation.class, Channel.Urgency.BACKGROUND);
  }

  /** Chosen student structures, {@code <prefix>structure}. */
  public Channel<StructureChosen> structure() {
    return new Channel<>(prefix + "structure", StructureChosen.class);
  }

  /** Run life-cycle events, {@code <prefix>runs}. */
  public Channel<RunEvent> runs() {
    return new Channel<>(prefix + "runs", RunEvent.class);
  }

  /** Records that could not be read, with the reason, {@code <prefix>deadletter}. */
  public String deadLetter() {
    return prefix + "deadletter";
  }

  /** The channel an event belongs on. */
  @SuppressWarnings("unchecked")
  public <E extends Event> Channel<E> channelOf(E event) {
    Channel<?> channel;
    if (event instanceof TrainingStep) {
      channel = steps();
    } else if (event instanceof HyperGradient) {
      channel = hyperGradients();
    } else if (event instanceof MetaParams) {
      channel = metaParams();
    } else if (event instanceof TrajectoryForecast) {
      channel = forecasts();
    } else if (event instanceof Evaluation) {
      channel = evaluations();
    } else if (event instanceof StructureChosen) {
      channel = structure();
    } else {
      channel = runs();
    }
    return (Channel<E>) channel;
  }

  /** Every event channel, in a stable order. */
  public List<Channel<? extends Event>> all() {
    return List.of(steps(), hyperGradients(), metaParams(), forecasts(), evaluations(),
        structure(), runs());
  }

  /** Every topic name, the dead-letter topic included. */
  public List<String> names() {
    return java.util.stream.Stream.concat(
            all().stream().map(Channel::topic), java.util.stream.Stream.of(deadLetter()))
        .toList();
  }
}
