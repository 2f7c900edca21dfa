/**
 * Choosing the student's structure (docs/structure.md): pruning estimators (random, Optimal
 * Brain Damage, variational, Belsley collinearity), structured pruning of hidden units into a
 * smaller dense student, freezing parameters by their gradient-noise variance, and the
 * Gumbel-softmax weights of a structure choice.
 */
package io.distilflux.trainer.structure;
