package io.distilflux.trainer.cli;

import io.distilflux.pipeline.kafka.EmbeddedKafka;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Benchmark: the same student runs with {@code --transport kafka} and {@code --transport
 * direct} (in-memory bus), alternating, and the ratio of their wall times. Only the runs are
 * timed ({@code RunFinished.wallSeconds}), not the broker start or the teacher.
 *
 * <p>Usage: {@code TransportBenchmark [--broker shared|per-run] [--warmup N] [--warmup-jit S]
 * [--max-warmup N] [--repeats N] [run flags…]}, e.g. {@code --warmup 2 --warmup-jit 1.5
 * --repeats 10 --dataset cifar10 --data-dir DIR --epochs 16 --modes forecast --seeds 1}:
 * warm-up pairs are printed, not counted, and with {@code --warmup-jit} they go on until the
 * JIT has compiled what the Kafka code needs (see {@link AlternatingRuns} and {@link WarmUp}). With {@code --broker shared} (the default) one embedded broker is started
 * for the whole benchmark, as a long-running deployment keeps its broker, and every Kafka run
 * reaches it with {@code --bootstrap-servers} on topics of its own ({@code --topic-prefix});
 * its meta-optimizer and monitor still start with the run. With {@code per-run} each Kafka run
 * starts its own embedded broker, as {@code run} does by default. With a shared broker each run
 * also prints the requests the broker handled during it ({@link EmbeddedKafka#requestsHandled()}),
 * a direct run's being the idle broker's own.
 */
public final class TransportBenchmark {

  private TransportBenchmark() {}

  /** Runs the benchmark and prints per-run wall times, medians and the kafka/direct ratio. */
  public static void main(String[] args) {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    String broker = "shared";
    int at = rest.indexOf("--broker");
    if (at >= 0) {
      if (at + 1 >= rest.size()) {
        throw new IllegalArgumentException("--broker needs a value: shared or per-run");
      }
      broker = rest.remove(at + 1);
      rest.remove(at);
    }
    String[] runFlags = rest.toArray(String[]::new);
    AlternatingRuns.Medians medians;
    switch (broker) {
      case "shared" -> {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
          medians = new AlternatingRuns("transport", "kafka", "direct",
              n -> Map.of("bootstrap-servers", kafka.bootstrapServers(),
                  "topic-prefix", "transport-bench-" + n + "."))
              .counting(new AlternatingRuns.Count("broker requests", EmbeddedKafka::requestsHandled))
              .measure(runFlags, System.out);
        }
      }
      case "per-run" -> medians = new AlternatingRuns("transport", "kafka", "direct")
          .measure(runFlags, System.out);
      default -> throw new IllegalArgumentException(
          "--broker must be shared or per-run, got " + broker);
    }
    System.out.println(medians.summary("kafka", "direct") + "; target <= 1.10");
  }
}
