package io.distilflux.trainer.distill;

import io.distilflux.trainer.model.DenseStack;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Forward-mode derivative of a network of plain dense layers (identity or ReLU, bias, no dropout,
 * no preprocessors: the logistic-regression and MLP students): the exact J·u of the logits along
 * a parameter direction u, from the activations of a training forward. Layer by layer,
 * ż = ȧW + aU + u_b and ȧ' = relu'(z)·ż (ReLU passes where its output is positive, as DL4J's
 * backward does), ȧ = 0 at the input. Not thread-safe.
 */
final class DenseTangent {

  private final List<INDArray> weights = new ArrayList<>();
  private final List<INDArray> biases = new ArrayList<>();
  private final List<INDArray> directionWeights = new ArrayList<>();
  private final List<INDArray> directionBiases = new ArrayList<>();
  private final List<Boolean> relu = new ArrayList<>();
  private final INDArray flatDirection;

  private DenseTangent(MultiLayerNetwork network) {
    flatDirection = Nd4j.zeros(network.params().dataType(), 1, network.numParams());
    long offset = 0;
    for (Layer layer : network.getLayers()) {
      INDArray view = flatDirection.get(NDArrayIndex.point(0),
          NDArrayIndex.interval(offset, offset + layer.numParams())).reshape(1, -1);
      offset += layer.numParams();
      Map<String, INDArray> direction =
          layer.conf().getLayer().initializer().getGradientsFromFlattened(layer.conf(), view);
      weights.add(layer.getParam(DefaultParamInitializer.WEIGHT_KEY));
      biases.add(layer.getParam(DefaultParamInitializer.BIAS_KEY));
      directionWeights.add(direction.get(DefaultParamInitializer.WEIGHT_KEY));
      directionBiases.add(direction.get(DefaultParamInitializer.BIAS_KEY));
      relu.add(((DenseLayer) layer.conf().getLayer()).getActivationFn() instanceof ActivationReLU);
    }
  }

  /** The tangent of {@code network} if it is made only of plain dense layers, else null. */
  static DenseTangent forNetwork(MultiLayerNetwork network) {
    return DenseStack.ofStudent(network).isPresent() ? new DenseTangent(network) : null;
  }

  /**
   * J·u at the current parameters, which must be those of the forward that produced {@code
   * activations} (DL4J's feed-forward list: the input, then each layer's output).
   *
   * @return J·u [B, K], a fresh array
   */
  INDArray apply(List<INDArray> activations, INDArray direction) {
    flatDirection.assign(direction.reshape(flatDirection.shape()));
    INDArray tangent = null;
    for (int i = 0; i < weights.size(); i++) {
      INDArray input = activations.get(i);
      INDArray next = input.mmul(directionWeights.get(i)).addiRowVector(directionBiases.get(i));
      if (tangent != null) {
        next.addi(tangent.mmul(weights.get(i)));
      }
      if (relu.get(i)) {
        next.muli(activations.get(i + 1).gt(0).castTo(next.dataType()));
      }
      tangent = next;
    }
    return tangent;
  }
}
