package io.distilflux.pipeline.event;

/**
 * A run began.
 *
 * @param schemaVersion schema version written
 * @param runId run id (record key)
 * @param config the resolved configuration, seed included
 * @param startedAtMillis epoch milliseconds
 * @param provenance where the run came from: host, build version, versions of the libraries
 */
public record RunStarted(
    int schemaVersion, String runId, RunConfig config, long startedAtMillis, Provenance provenance)
    implements RunEvent {}
