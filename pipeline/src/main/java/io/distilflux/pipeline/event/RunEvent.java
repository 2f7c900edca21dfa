package io.distilflux.pipeline.event;

/** Life-cycle events of a run, carried together on the runs topic. */
public sealed interface RunEvent extends Event permits RunStarted, RunFinished {}
