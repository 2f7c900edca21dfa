package io.distilflux.trainer.cli;

import io.distilflux.pipeline.event.RunConfig.DatasetKind;
import io.distilflux.pipeline.event.RunConfig.Divergence;
import io.distilflux.pipeline.event.RunConfig.OptimizerKind;
import io.distilflux.pipeline.event.RunConfig.UnrolledDerivative;

/**
 * The defaults of the flags whose default depends on {@code --dataset} (docs/method.md §5),
 * one implementation per dataset kind. A flag left out on the command line and in the
 * {@code --config} file takes its value from here; the flags' help texts state these values
 * (a test keeps them in step).
 */
interface DatasetDefaults {

  /** Folder of the dataset files ({@code --data-dir}); empty when there are none. */
  String dataDir();

  /** Epochs of student training ({@code --epochs}). */
  int epochs();

  /** Mini-batch size ({@code --batch-size}); 0: the full batch. */
  int batchSize();

  /** The student's optimizer ({@code --optimizer}). */
  OptimizerKind optimizer();

  /** The student's learning rate ({@code --lr}). */
  double lr();

  /** Steps per mini-epoch, E ({@code --mini-epoch}). */
  int miniEpoch();

  /** Steps between evaluations ({@code --evaluate-every}). */
  int evaluateEvery();

  /** Epochs of teacher training ({@code --teacher-epochs}). */
  int teacherEpochs();

  /**
   * The meta-optimizer's settings ({@code --meta-optimizer}, {@code --meta-lr}, {@code
   * --meta-clip}, {@code --divergence}, {@code --unrolled-derivative}); chosen by the sweep of
   * docs/experiments.md: plain SGD on the hypergradient (η = 1, clip 1, forward KL, exact
   * derivative) unless a dataset found better.
   */
  default Meta meta() {
    return Meta.PLAIN;
  }

  /** The meta-optimizer's dataset-dependent settings. */
  record Meta(OptimizerKind rule, double lr, double clip, Divergence divergence,
      UnrolledDerivative unrolled) {
    /** SGD with η = 1 and clip 1 on the exact hypergradient of the forward divergence. */
    static final Meta PLAIN = new Meta(OptimizerKind.SGD, 1.0, 1.0, Divergence.FORWARD,
        UnrolledDerivative.EXACT);
    /**
     * The reference code's choices (docs/method.md §2, §3): the normalised step η / ‖v‖² with
     * η = 10, clip 10⁴, reverse KL, the SGD unrolled derivative.
     */
    static final Meta REFERENCE = new Meta(OptimizerKind.NORMALIZED, 10.0, 1e4,
        Divergence.REVERSE, UnrolledDerivative.SGD);
  }

  /** Teacher architecture ({@code --teacher}). */
  String teacher();

  /** Student architecture ({@code --student}). */
  String student();

  /** The defaults of a dataset kind. */
  static DatasetDefaults of(DatasetKind dataset) {
    return switch (dataset) {
      case SYNTHETIC -> new Synthetic();
      case CIFAR10 -> new Cifar10();
      case MNIST -> new Mnist();
      case CSV, NPY -> new UserFiles();
    };
  }

  /**
   * The synthetic data: full-batch Adam (10⁻³) on a logistic-regression student, E = 10, and
   * the reference code's meta-optimizer, as in the reference notebook.
   */
  final class Synthetic implements DatasetDefaults {
    @Override public String dataDir() { return ""; }
    @Override public int epochs() { return 1; }
    @Override public int batchSize() { return 0; }
    @Override public OptimizerKind optimizer() { return OptimizerKind.ADAM; }
    @Override public double lr() { return 1e-3; }
    @Override public int miniEpoch() { return 10; }
    @Override public Meta meta() { return Meta.REFERENCE; }
    @Override public int evaluateEvery() { return 1000; }
    @Override public int teacherEpochs() { return 1; }
    @Override public String teacher() { return "logreg"; }
    @Override public String student() { return "logreg"; }
  }

  /** CIFAR-10: Adam on mini-batches of 128, the paper's 100 epochs. */
  final class Cifar10 implements DatasetDefaults {
    @Override public String dataDir() { return "data/cifar-10-batches-bin"; }
    @Override public int epochs() { return 100; }
    @Override public int batchSize() { return 128; }
    @Override public OptimizerKind optimizer() { return OptimizerKind.ADAM; }
    @Override public double lr() { return 1e-3; }
    @Override public int miniEpoch() { return 10; }
    @Override public int evaluateEvery() { return 79; }
    @Override public int teacherEpochs() { return 30; }
    @Override public String teacher() { return "cifar-tiny"; }
    @Override public String student() { return "cifar-very-tiny"; }
  }

  /** MNIST: Adam on mini-batches of 128, 10 epochs. */
  final class Mnist implements DatasetDefaults {
    @Override public String dataDir() { return "data/mnist"; }
    @Override public int epochs() { return 10; }
    @Override public int batchSize() { return 128; }
    @Override public OptimizerKind optimizer() { return OptimizerKind.ADAM; }
    @Override public double lr() { return 1e-3; }
    @Override public int miniEpoch() { return 10; }
    @Override public int evaluateEvery() { return 100; }
    @Override public int teacherEpochs() { return 5; }
    @Override public String teacher() { return "mnist-mlp"; }
    @Override public String student() { return "mnist-mlp-small"; }
  }

  /** The user's CSV or NumPy files: MNIST's settings, the data named by their own flags. */
  final class UserFiles implements DatasetDefaults {
    @Override public String dataDir() { return ""; }
    @Override public int epochs() { return 10; }
    @Override public int batchSize() { return 128; }
    @Override public OptimizerKind optimizer() { return OptimizerKind.ADAM; }
    @Override public double lr() { return 1e-3; }
    @Override public int miniEpoch() { return 10; }
    @Override public int evaluateEvery() { return 100; }
    @Override public int teacherEpochs() { return 5; }
    @Override public String teacher() { return "mnist-mlp"; }
    @Override public String student() { return "mnist-mlp-small"; }
  }
}
