/**
 * Recorded runs: a run's events gathered from Kafka or an exported JSON Lines archive, for
 * replay, reports and import into another cluster.
 */
package io.distilflux.pipeline.record;
