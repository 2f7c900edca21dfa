/**
 * Recording the runs of an experiment: every event a run and the services publish, captured from
 * the bus and kept as one {@link io.distilflux.pipeline.record.RunArchive} file per run.
 */
package io.distilflux.trainer.record;
