/**
 * Making one plain training step (training-mode forward + backprop of a given output gradient) of
 * the cifar-very-tiny student fast on a small CPU.
 *
 * <p>Recipe found with {@code ConvStepBenchmark} (bench module) and
 * {@code NativeOpsProfile}:
 *
 * <ul>
 *   <li>Use the oneDNN + AVX2 native build of ND4J: root pom property {@code nd4j.classifier =
 *       linux-x86_64-onednn-avx2}. libnd4j's {@code conv2d}/{@code conv2d_bp} then run on oneDNN
 *       (about 1 ms per conv instead of tens of ms with the generic im2col+gemm build).
 *   <li>DL4J's own layer code (ConvolutionLayer, BatchNormalization, SubsamplingLayer) does not
 *       benefit much from that build, whatever the workspace mode or data format, because it runs
 *       its own im2col and many small Java-side ops; compute the step with
 *       {@link io.distilflux.trainer.speed.NativeOpsStep}, which works on the DL4J network's own
 *       parameters and writes DL4J's flat gradient layout.
 *   <li>Its default engine ({@code PLANAR_JAVA}, {@code PlanarConvStack}) keeps only the
 *       convolutions in libnd4j (NCHW; oneDNN's conv is as fast there as in NHWC) and does
 *       batch-norm, max-pool and ReLU, forward and backward, as fused Java loops: libnd4j's
 *       batch-norm and max-pool ops take 1–6 ms each on these shapes, the fused passes 0.5–3 ms
 *       per block. The first block's weight gradient is a conv with batch and channel axes
 *       swapped (3.3 ms) instead of {@code conv2d_bp} (12.5 ms, mostly the unneeded input
 *       gradient). Thread CPU time per op: {@code java -Ddistilflux.profile.cpu=true -cp
 *       trainer/target/distilflux.jar io.distilflux.trainer.speed.NativeOpsProfile 128 30
 *       PLANAR_JAVA 1}.
 *   <li>Tried and dropped: the convolutions themselves as Java loops. HotSpot 17's superword pass
 *       only vectorizes a loop whose array accesses all share one index expression, so a 3×3
 *       stencil ({@code x[p]}, {@code x[p + 1]}, {@code x[p + W]}…) stays scalar (10 ms for the
 *       first conv against oneDNN's 2.5–5 ms); so did im2col + batched gemm for the first
 *       block's weight gradient (im2col alone 11.8 ms). A max-pool that records its argmax in
 *       the forward cost 5× the branch-free one (mispredicted branches), so the backward finds
 *       the argmax again.
 *   <li>The older engines ({@code LIBND4J_NHWC}, {@code LIBND4J_NCHW}: every op a libnd4j op,
 *       batch-norm on the [N·H·W, C] view) remain for DOUBLE networks and for comparison.
 *   <li>Use both cores by splitting the batch, not by threading each op: the planar engine
 *       computes {@link io.distilflux.trainer.speed.NativeOpsStep#DEFAULT_PARTS} image ranges
 *       whose libnd4j calls and Java loops run concurrently, each libnd4j call single-threaded
 *       ({@code OMP_NUM_THREADS=1}); {@code OMP_NUM_THREADS=2} on one range was slower.
 *   <li>Small [B, K] work (the loss, softmax cross-entropy) is faster as Java loops than as a few
 *       dozen libnd4j ops of tens of microseconds each.
 *   <li>{@code distill.DistillationTrainer} uses {@code NativeOpsStep} automatically for the
 *       cifar-very-tiny structure ({@link io.distilflux.trainer.speed.NativeOpsStep#supports}).
 * </ul>
 */
package io.distilflux.trainer.speed;
