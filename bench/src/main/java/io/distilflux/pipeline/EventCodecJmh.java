package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Event;
import io.distilflux.pipeline.event.HyperGradient;
import io.distilflux.pipeline.event.MetaValues;
import io.distilflux.pipeline.event.Phase;
import io.distilflux.pipeline.event.TrainingStep;
import io.distilflux.pipeline.event.Unconstrained;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: the JSON codec on the two most frequent events, a {@link TrainingStep} and a
 * {@link HyperGradient}: encoding to the bytes Kafka carries and decoding them back.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EventCodecJmh {

  private TrainingStep step;
  private HyperGradient hyperGradient;
  private byte[] stepBytes;
  private byte[] hyperGradientBytes;

  /** Builds one event of each kind with realistic values, and their encodings. */
  @Setup
  public void setUp() {
    step = new TrainingStep(Event.CURRENT_SCHEMA_VERSION, "run-cifar10-forecast-42", 12_345, 3,
        Phase.HYPERGRADIENT, 1.2345678901234, 0.9876543210987, 0.3141592653589,
        new MetaValues(0.4321098765432, 0.5678901234567, 3.2109876543210),
        0.0234567890123, 1_733_300_000_000L);
    hyperGradient = new HyperGradient(Event.CURRENT_SCHEMA_VERSION, "run-cifar10-forecast-42",
        12_345, new Unconstrained(-0.27312345678, 0.27398765432, -1.12345678901),
        new Unconstrained(1.234567e-3, -9.87654321e-4, 5.5555555e-5), 1.5432109876543, 1e-3);
    stepBytes = EventCodec.encode(step);
    hyperGradientBytes = EventCodec.encode(hyperGradient);
  }

  /** Encodes a training step. */
  @Benchmark
  public byte[] encodeTrainingStep() {
    return EventCodec.encode(step);
  }

  /** Decodes a training step. */
  @Benchmark
  public TrainingStep decodeTrainingStep() {
    return EventCodec.decode(stepBytes, TrainingStep.class);
  }

  /** Encodes a hypergradient. */
  @Benchmark
  public byte[] encodeHyperGradient() {
    return EventCodec.encode(hyperGradient);
  }

  /** Decodes a hypergradient. */
  @Benchmark
  public HyperGradient decodeHyperGradient() {
    return EventCodec.decode(hyperGradientBytes, HyperGradient.class);
  }
}
