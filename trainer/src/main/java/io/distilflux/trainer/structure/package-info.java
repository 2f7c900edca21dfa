/**
 * Choosing the student's structure (docs/structure.md): pruning estimators (random, Optimal
 * Brain Damage, variational, Belsley collinearity), structured pruning of hidden units into a
 * smaller dense student, and freezing parameters by their gradient-noise variance.
 */
package io.distilflux.trainer.structure;
