package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Services started in the background while the caller loads the data. */
class StartingServicesTest {

  private final PrintStream log =
      new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

  @Test
  void readyServicesHaveTheirMetaOptimizerStarted() {
    ExperimentSpec spec = direct(0);
    try (ServiceStack stack = StartingServices.begin(spec, log).ready(Duration.ZERO)) {
      assertTrue(stack.metricsUrl().isPresent());
      IllegalStateException again = assertThrows(IllegalStateException.class,
          () -> stack.startMetaOptimizer(spec, Duration.ZERO));
      assertEquals("the meta-optimizer is already started", again.getMessage());
    }
  }

  @Test
  void servicesThatCannotStartFailReadyWithTheirOwnError() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      StartingServices starting = StartingServices.begin(direct(taken.getLocalPort()), log);
      UncheckedIOException error =
          assertThrows(UncheckedIOException.class, () -> starting.ready(Duration.ZERO));
      assertTrue(error.getMessage().contains("cannot bind http server"), error.getMessage());
    }
  }

  @Test
  void abandonedServicesAreClosedOnceStarted() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    StartingServices starting = StartingServices.begin(direct(port), log);
    // the services wait for the meta-optimizer's settings once the monitor serves /metrics
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!serving(port)) {
      assertTrue(System.nanoTime() < deadline, "the monitor never served port " + port);
      Thread.sleep(20);
    }
    starting.abandon();
    assertTrue(!serving(port), "port " + port + " still served after abandon()");
  }

  private static boolean serving(int port) {
    try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  private static ExperimentSpec direct(int metricsPort) {
    return RunOptions.parse(
        Map.of("transport", "direct", "metrics-port", Integer.toString(metricsPort)));
  }
}
