/**
 * Making one plain training step (training-mode forward + backprop of a given output gradient) of
 * the cifar-very-tiny student fast on a small CPU.
 *
 * <p>Recipe found with {@link io.distilflux.trainer.speed.ConvStepBenchmark}:
 *
 * <ul>
 *   <li>Use the oneDNN + AVX2 native build of ND4J: root pom property {@code nd4j.classifier =
 *       linux-x86_64-onednn-avx2}. libnd4j's {@code conv2d}/{@code conv2d_bp} then run on oneDNN
 *       (about 1 ms per conv instead of tens of ms with the generic im2col+gemm build).
 *   <li>DL4J's own layer code (ConvolutionLayer, BatchNormalization, SubsamplingLayer) does not
 *       benefit much from that build, whatever the workspace mode or data format, because it runs
 *       its own im2col and many small Java-side ops; compute the step with
 *       {@link io.distilflux.trainer.speed.NativeOpsStep}, which calls the libnd4j ops directly on
 *       the DL4J network's own parameters and writes DL4J's flat gradient layout.
 *   <li>{@link io.distilflux.trainer.speed.NativeOpsStep} keeps the conv blocks in NHWC (oneDNN's
 *       max-pool is 5–10× faster there), allocates every activation and gradient buffer once per
 *       input shape, runs ReLU after the max-pool (they commute; 4× fewer elements) and computes
 *       batch-norm on the [N·H·W, C] matrix view with BLAS column sums instead of libnd4j's
 *       strided per-channel reductions. {@code NativeOpsProfile} prints the per-op medians.
 *   <li>{@code distill.DistillationTrainer} uses it automatically for the cifar-very-tiny
 *       structure ({@link io.distilflux.trainer.speed.NativeOpsStep#supports}); on a loaded
 *       2-core machine {@code OMP_NUM_THREADS=1} gave the best medians.
 * </ul>
 */
package io.distilflux.trainer.speed;
