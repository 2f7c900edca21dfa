package io.distilflux.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JobCostBenchmarkTest {

  @Test
  void aStatLineGivesTheNameWithItsSpacesAndParenthesesAndTheUserAndSystemTicks() {
    String line = "4242 (C2 (x) Thread) S 1 1 1 0 -1 4194368 10 0 0 0 731 42 0 0 20 0 1 0";

    JobCostBenchmark.ThreadTime time = JobCostBenchmark.parseStat(line);

    assertEquals(new JobCostBenchmark.ThreadTime("C2 (x) Thread", 731, 42), time);
  }

  @Test
  void aTruncatedStatLineIsNoSample() {
    assertNull(JobCostBenchmark.parseStat("4242 (trainer-1) S 1 1"));
    assertNull(JobCostBenchmark.parseStat("no name here"));
  }

  @Test
  void threadsOfOnePoolFoldIntoOneFamily() {
    assertEquals("trainer-#", JobCostBenchmark.family("trainer-17"));
    assertEquals("C# CompilerThre", JobCostBenchmark.family("C2 CompilerThre"));
  }

  @Test
  void aClientIdLosesOnlyItsRandomSuffix() {
    assertEquals("distilflux-producer-awaited", JobCostBenchmark.clientName(
        "distilflux-producer-awaited-82b23f16-13d3-40a3-86bd-2ecfa5a23176"));
    assertEquals("plain-id", JobCostBenchmark.clientName("plain-id"));
  }

  @Test
  void theReportCountsRequestsPerRoundTripAndClientsRecordsPerRequest() {
    JobCostBenchmark.Sampler sampler = new JobCostBenchmark.Sampler();
    sampler.topicRecords.put("distilflux.hypergradients", 1000L);
    sampler.brokerRequests.put("Produce v13", 600L);
    sampler.brokerRequests.put("Fetch v18", 900L);
    sampler.brokerRequests.put("Fetch v17", 100L);
    sampler.clients.put("producer distilflux-producer-awaited", new long[] {500, 2000});
    sampler.threads.put("1", new JobCostBenchmark.ThreadTime("trainer-1", 300, 100));
    sampler.threads.put("2", new JobCostBenchmark.ThreadTime("trainer-2", 100, 0));

    String report = sampler.report(2.0);

    assertTrue(report.startsWith("job: 2.0 s wall, 1000 hypergradient round trips (500 round"
        + " trips/s), 1.60 broker requests per round trip, 5.0 s CPU on 2.50 cores, 0 % of it in"
        + " the JIT compiler"), report);
    assertTrue(report.contains("broker: 1600 requests"), report);
    assertTrue(report.matches("(?s).*Fetch\\s+1000.*Produce\\s+600.*"), report);
    assertTrue(report.contains(
        "4.00 records per request  producer distilflux-producer-awaited"), report);
    assertTrue(report.contains("threads: 5.0 s CPU (1.0 s system), 2.50 cores on average"),
        report);
    assertTrue(report.contains("2 × trainer-#"), report);
  }
}
