/** Helpers shared by the benchmark {@code main}s of every module. */
package io.distilflux.pipeline.bench;
