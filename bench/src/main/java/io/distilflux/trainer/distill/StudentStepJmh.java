package io.distilflux.trainer.distill;

import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.trainer.model.StudentArchitectures;
import io.distilflux.trainer.speed.NativeOpsStep;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: one plain distillation step and one step with the hypergradient (docs/method.md §2) of
 * a student on a random batch, Adam as the inner optimizer. Each invocation trains the student
 * further, as a run does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class StudentStepJmh {

  /** The student architecture. */
  @Param({StudentArchitectures.CIFAR_VERY_TINY})
  public String student;

  /** Examples per batch. */
  @Param({"128"})
  public int batch;

  private StudentStepBenchmark.Fixture fixture;

  /** Builds the student and its batches. */
  @Setup
  public void setUp() {
    fixture = StudentStepBenchmark.Fixture.of(
        student, batch, OptimizerKind.ADAM, NativeOpsStep.defaultThreads());
  }

  /** A plain step. */
  @Benchmark
  public Object plainStep() {
    return fixture.trainer().step(fixture.batch(), fixture.b());
  }

  /** A step with the one-step hypergradient. */
  @Benchmark
  public Object hypergradientStep() {
    return fixture.trainer().stepWithHyperGradient(
        fixture.batch(), fixture.validation(), fixture.b());
  }
}
