/**
 * Replay of recorded runs through the monitor, and the what-if of the trajectory predictor on a
 * recorded trajectory with other E and n.
 */
package io.distilflux.monitor.replay;
