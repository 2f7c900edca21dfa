package io.distilflux.pipeline.event;

/**
 * Accuracy and loss of the student on the validation and test sets.
 *
 * @param schemaVersion schema version written
 * @param runId run id (record key)
 * @param step the step after which the student was evaluated
 * @param epoch epoch index
 * @param validationAccuracy accuracy on the validation set
 * @param validationLoss mean CE on the validation set
 * @param testAccuracy accuracy on the test set
 * @param testLoss mean CE on the test set
 */
public record Evaluation(
    int schemaVersion,
    String runId,
    long step,
    int epoch,
    double validationAccuracy,
    double validationLoss,
    double testAccuracy,
    double testLoss)
    implements Event {}
