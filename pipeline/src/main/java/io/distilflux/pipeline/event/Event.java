package io.distilflux.pipeline.event;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * An event of the distilflux contract. Every event belongs to one run, is keyed by its run id
 * on Kafka (so a run's events stay ordered on one partition), and carries the schema version
 * it was written with. The JSON form names the event type in a {@code "type"} property.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = TrainingStep.class, name = "TrainingStep"),
    @JsonSubTypes.Type(value = HyperGradient.class, name = "HyperGradient"),
    @JsonSubTypes.Type(value = MetaParams.class, name = "MetaParams"),
    @JsonSubTypes.Type(value = TrajectoryForecast.class, name = "TrajectoryForecast"),
    @JsonSubTypes.Type(value = Evaluation.class, name = "Evaluation"),
    @JsonSubTypes.Type(value = StructureChosen.class, name = "StructureChosen"),
    @JsonSubTypes.Type(value = RunStarted.class, name = "RunStarted"),
    @JsonSubTypes.Type(value = RunFinished.class, name = "RunFinished")
})
public sealed interface Event
    permits TrainingStep, HyperGradient, MetaParams, TrajectoryForecast, Evaluation,
        StructureChosen, RunEvent {

  /**
   * The schema version this build writes and the newest it reads. Version 2 added
   * {@code RunConfig.dataSeed} and {@code divergence} and {@code
   * HyperGradient.validationGradientNormSquared}, version 3 {@code RunConfig.inputs}, version 4
   * the optional extra meta-parameters ({@code RunConfig.extraMeta}, the {@code extra} maps of
   * {@code TrainingStep}, {@code HyperGradient}, {@code MetaParams} and {@code
   * TrajectoryForecast}); records of
   * older versions are read with the defaults of {@link SchemaUpgrade}.
   */
  int CURRENT_SCHEMA_VERSION = 4;

  /** The run this event belongs to; the Kafka record key. */
  String runId();

  /** Schema version the event was written with. */
  int schemaVersion();
}
