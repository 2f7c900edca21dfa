package io.distilflux.pipeline.event;

/**
 * A run ended, successfully or not.
 *
 * @param schemaVersion schema version written
 * @param runId run id (record key)
 * @param steps number of steps trained
 * @param finalEvaluation the last evaluation, or null when the run failed before one
 * @param hypergradientSteps steps that computed a hypergradient
 * @param forecastSteps steps whose λ came from a forecast
 * @param wallSeconds wall time of the run in seconds
 * @param hypergradientSeconds wall time spent computing hypergradients, in seconds
 * @param failure null on success, else a one-line reason
 * @param finishedAtMillis epoch milliseconds
 */
public record RunFinished(
    int schemaVersion,
    String runId,
    long steps,
    Evaluation finalEvaluation,
    long hypergradientSteps,
    long forecastSteps,
    double wallSeconds,
    double hypergradientSeconds,
    String failure,
    long finishedAtMillis)
    implements RunEvent {}
