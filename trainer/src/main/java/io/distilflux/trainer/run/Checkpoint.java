package io.distilflux.trainer.run;

import io.distilflux.pipeline.event.Evaluation;
import io.distilflux.pipeline.event.RunConfig;
import io.distilflux.trainer.distill.OptimizerState;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything a run needs to go on from a step boundary as if it had never stopped. The data
 * order and the validation draws are addressed by (seed, epoch) and (seed, step), and the
 * random start by the seed, so the seed and {@link #step} are the whole random state.
 *
 * @param runId the run
 * @param config the run's configuration (its seed included)
 * @param step the next step to train; steps 0 … step − 1 are done
 * @param params the student's flat parameter vector (DL4J {@code params()}) after those steps
 * @param optimizer the inner optimizer's state after those steps
 * @param hypergradientSteps hypergradient steps done so far
 * @param forecastSteps forecast steps done so far
 * @param hypergradientSeconds wall time of the hypergradient steps so far
 * @param wallSeconds wall time of the run so far
 * @param lastEvaluation the latest evaluation, or null
 * @param lastPoint the meta-parameters the last step trained with, or null before step 0
 */
public record Checkpoint(
    String runId,
    RunConfig config,
    long step,
    INDArray params,
    OptimizerState optimizer,
    long hypergradientSteps,
    long forecastSteps,
    double hypergradientSeconds,
    double wallSeconds,
    Evaluation lastEvaluation,
    MetaPoint lastPoint) {}
