package io.distilflux.trainer.speed;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One plain training step through a DL4J network: forward in training mode, then backprop of a
 * caller-supplied output gradient (epsilon) to the flat parameter gradient. No updater is involved.
 */
public final class Dl4jPlainStep implements PlainStep {

  private final MultiLayerNetwork net;
  private final CNN2DFormat format;

  /** Wraps a network whose input layout is {@code format}. */
  public Dl4jPlainStep(MultiLayerNetwork net, CNN2DFormat format) {
    this.net = net;
    this.format = format;
  }

  /** The wrapped network. */
  public MultiLayerNetwork network() {
    return net;
  }

  @Override
  public INDArray logits(INDArray inputNchw) {
    net.setInput(toNetworkLayout(inputNchw));
    var activations = net.feedForward(true, false);
    return activations.get(activations.size() - 1);
  }

  @Override
  public INDArray step(INDArray inputNchw, INDArray epsilon) {
    logits(inputNchw);
    net.backpropGradient(epsilon, LayerWorkspaceMgr.noWorkspaces());
    return net.getFlattenedGradients();
  }

  private INDArray toNetworkLayout(INDArray nchw) {
    return format == CNN2DFormat.NHWC ? nchw.permute(0, 2, 3, 1).dup('c') : nchw;
  }
}
