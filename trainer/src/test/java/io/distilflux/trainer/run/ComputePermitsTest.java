package io.distilflux.trainer.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ComputePermitsTest {

  @Test
  void aLeaseHoldsAtMostOnePermitAndGivesItBackOnce() throws Exception {
    ComputePermits permits = ComputePermits.of(2);
    ComputePermits.Lease lease = permits.lease();
    lease.acquire();
    lease.acquire();
    assertTrue(lease.held());
    assertEquals(1, permits.peakInUse(), "acquiring a held lease takes no second permit");
    lease.release();
    lease.release();
    assertFalse(lease.held());
    ComputePermits.Lease first = permits.lease();
    ComputePermits.Lease second = permits.lease();
    first.acquire();
    second.acquire();
    assertEquals(2, permits.peakInUse(), "a double release did not add a third permit");
  }

  @Test
  void manyThreadsNeverComputeMoreAtOnceThanThePermits() throws Exception {
    ComputePermits permits = ComputePermits.of(2);
    AtomicInteger computing = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(8);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int index = t;
      Thread thread = new Thread(() -> {
        ComputePermits.Lease lease = index % 2 == 0 ? permits.lease() : permits.urgentLease();
        for (int i = 0; i < 2_000; i++) {
          lease.acquireUninterruptibly();
          most.accumulateAndGet(computing.incrementAndGet(), Math::max);
          Thread.onSpinWait();
          computing.decrementAndGet();
          lease.release();
        }
        done.countDown();
      });
      threads.add(thread);
      thread.start();
    }
    assertTrue(done.await(60, TimeUnit.SECONDS));
    assertTrue(most.get() <= 2, "computing at once: " + most.get());
    assertTrue(permits.peakInUse() <= 2, "permits in use at once: " + permits.peakInUse());
  }

  @Test
  void aRunThatWaitsOnTheBusGetsTheNextFreePermitBeforeRunsThatOnlyCompute() throws Exception {
    ComputePermits permits = ComputePermits.of(1);
    ComputePermits.Lease holder = permits.lease();
    holder.acquire();
    List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread computing = waiter(permits.lease(), "computes", order);
    awaitWaiting(computing);
    Thread waiting = waiter(permits.urgentLease(), "waits on the bus", order);
    awaitWaiting(waiting);
    holder.release();
    computing.join(10_000);
    waiting.join(10_000);
    assertEquals(List.of("waits on the bus", "computes"), order,
        "the urgent lease came second but was served first");
  }

  @Test
  void aRunThatGivesItsPermitBackAndAsksAgainGoesBehindTheRunsWaiting() throws Exception {
    ComputePermits permits = ComputePermits.of(1);
    ComputePermits.Lease busy = permits.urgentLease();
    busy.acquire();
    List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread waiting = waiter(permits.urgentLease(), "waiting", order);
    awaitWaiting(waiting);
    // A run stepping in a loop: it gives its permit back and asks again at once. Taking it
    // back ahead of the run in line let that run wait for as long as the loop went on.
    busy.release();
    busy.acquireUninterruptibly();
    order.add("busy again");
    busy.release();
    waiting.join(10_000);
    assertEquals(List.of("waiting", "busy again"), order);
  }

  @Test
  void aRunThatOnlyComputesYieldsItsPermitOnlyWhileARunOnTheBusWaitsForOne() throws Exception {
    ComputePermits permits = ComputePermits.of(1);
    ComputePermits.Lease computing = permits.lease();
    computing.acquire();
    List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread alsoComputing = waiter(permits.lease(), "computes too", order);
    awaitWaiting(alsoComputing);
    assertFalse(computing.othersWaitFirst(), "another run that only computes waits its turn");
    Thread onTheBus = waiter(permits.urgentLease(), "waits on the bus", order);
    awaitWaiting(onTheBus);
    assertTrue(computing.othersWaitFirst());
    try (ComputePermits.Lease alsoOnTheBus = permits.urgentLease()) {
      assertFalse(alsoOnTheBus.othersWaitFirst(), "runs on the bus keep their order");
    }
    computing.release();
    onTheBus.join(10_000);
    alsoComputing.join(10_000);
    assertEquals(List.of("waits on the bus", "computes too"), order);
    assertFalse(computing.othersWaitFirst(), "no run on the bus waits any more");
  }

  private static Thread waiter(ComputePermits.Lease lease, String name, List<String> order) {
    Thread thread = new Thread(() -> {
      lease.acquireUninterruptibly();
      order.add(name);
      lease.release();
    });
    thread.start();
    return thread;
  }

  private static void awaitWaiting(Thread thread) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (thread.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertEquals(Thread.State.WAITING, thread.getState());
  }

  @Test
  void computeRunsTheWorkUnderAPermitAndReturnsItsValue() {
    ComputePermits permits = ComputePermits.of(1);
    assertEquals("done", permits.compute(() -> "done"));
    assertEquals(1, permits.peakInUse());
    assertThrows(IllegalStateException.class, () -> permits.compute(() -> {
      throw new IllegalStateException("failed");
    }));
    assertEquals("again", permits.compute(() -> "again"), "a failed computation gave its permit back");
  }

  @Test
  void fewerThanOnePermitIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ComputePermits.of(0));
    assertEquals("compute permits must be >= 1, got 0", e.getMessage());
  }

  @Test
  void whileARunWaitsOnTheBusRunsThatOnlyComputeLeaveAPermitFree() throws Exception {
    ComputePermits permits = ComputePermits.keepingForTheBus(2, 1);
    ComputePermits.Lease waitsOnTheBus = permits.urgentLease();
    ComputePermits.Lease first = permits.lease();
    first.acquire();
    List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread second = waiter(permits.lease(), "second compute-only run", order);
    awaitWaiting(second);
    assertTrue(order.isEmpty(), "a second compute-only run took the permit kept for the bus");
    waitsOnTheBus.acquire();
    assertEquals(2, permits.peakInUse(), "the run on the bus takes the kept permit");
    waitsOnTheBus.release();
    waitsOnTheBus.close();
    second.join(10_000);
    assertEquals(List.of("second compute-only run"), order,
        "once no run waits on the bus, every permit is for everyone");
    first.release();
  }

  @Test
  void withoutARunOnTheBusEveryPermitIsForRunsThatOnlyCompute() throws Exception {
    ComputePermits permits = ComputePermits.keepingForTheBus(2, 1);
    ComputePermits.Lease first = permits.lease();
    ComputePermits.Lease second = permits.lease();
    first.acquire();
    second.acquire();
    assertEquals(2, permits.peakInUse());
  }

  @Test
  void keepingEveryPermitForTheBusIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ComputePermits.keepingForTheBus(2, 2));
    assertEquals("compute permits must be >= 1 and the permits kept for the bus in [0, permits),"
        + " got 2 and 2", e.getMessage());
  }

  @Test
  void aLeaseCountsItsTimeHoldingAPermitAndInLine() throws Exception {
    ComputePermits permits = ComputePermits.of(1);
    ComputePermits.Lease holder = permits.lease();
    ComputePermits.Lease waiter = permits.lease();
    holder.acquire();
    Thread inLine = new Thread(waiter::acquireUninterruptibly);
    inLine.start();
    while (waiter.usage().queuedNanos() == 0) {
      Thread.onSpinWait();
    }
    assertEquals(0, waiter.usage().heldNanos());
    assertTrue(holder.usage().heldNanos() > 0);
    holder.release();
    inLine.join();
    long held = holder.usage().heldNanos();
    long queued = waiter.usage().queuedNanos();
    assertTrue(queued > 0);
    assertEquals(held, holder.usage().heldNanos(), "a released lease's time stands still");
    assertEquals(queued, waiter.usage().queuedNanos(), "a granted lease waits no longer");
    assertTrue(waiter.usage().heldNanos() >= 0);
    waiter.close();
  }
}
