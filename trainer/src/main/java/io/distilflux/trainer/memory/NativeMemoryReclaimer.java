package io.distilflux.trainer.memory;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a training process in constant memory. Every ND4J array outside a workspace holds
 * native memory that is freed only after the garbage collector has found its Java object dead
 * and ND4J's deallocator threads have drained the reference queue. A training step creates tens
 * of such arrays, so young collections spend their time processing hundreds of thousands of weak
 * and phantom references, the collector answers by growing the heap towards its maximum (a
 * quarter of the machine's memory), and the native memory of arrays that reached the old
 * generation waits for a collection that seldom comes: the resident set grows for minutes on
 * end. This runs ND4J's collection ({@code MemoryManager.invokeGc}) every period, and sooner
 * whenever the committed heap has grown past {@value #GROWTH_FACTOR} times what the last
 * collection left live (at least {@value #MIN_BUDGET_MB} MB), and lets the heap shrink after it
 * (a lower {@code MaxHeapFreeRatio}, unless the command line set one), and then returns the C
 * heap's free pages to the system where the JVM can ({@code System.trim_native_heap}), so both
 * the heap and the native memory return to what is live.
 */
public final class NativeMemoryReclaimer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(NativeMemoryReclaimer.class);

  private static final javax.management.ObjectName DIAGNOSTIC_COMMAND = diagnosticCommand();
  private static final String TRIM_OPERATION = "systemTrimNativeHeap";

  /** Cleared once the JVM turns out to have no trim command. */
  private volatile boolean trim = true;

  /** The period unless told otherwise. */
  public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(30);

  /** Free heap kept after a collection, at most and at least, in percent of the heap. */
  static final int MAX_HEAP_FREE_PERCENT = 30;
  static final int MIN_HEAP_FREE_PERCENT = 10;

  /** The committed heap may grow to this many times the live heap before a collection. */
  static final int GROWTH_FACTOR = 3;
  /**
   * The committed heap may always grow to this many megabytes. A lower floor costs more than it
   * saves: the heap shrinks to about its live size after each collection, so a busy process
   * (the main job over Kafka, with the broker's and the clients' buffers besides its own) runs
   * with a small young generation, collects and marks far more often, and outgrows the budget
   * again within a second or two. At 256 MB that job made 17–20 full collections; at 512 MB, 4.
   */
  static final int MIN_BUDGET_MB = 512;
  private static final long CHECK_MILLIS = 1000;

  private final ScheduledExecutorService scheduler;
  private final long periodNanos;
  private long lastCollection = System.nanoTime();
  private long budget = (long) MIN_BUDGET_MB << 20;

  private NativeMemoryReclaimer(ScheduledExecutorService scheduler, Duration period) {
    this.scheduler = scheduler;
    this.periodNanos = period.toNanos();
  }

  /**
   * Starts reclaiming every {@code period}; a zero period starts nothing (the returned
   * reclaimer's {@link #close} does nothing then).
   */
  public static NativeMemoryReclaimer start(Duration period) {
    if (period.isNegative()) {
      throw new IllegalArgumentException("reclaim period must be >= 0, got " + period);
    }
    if (period.isZero()) {
      return new NativeMemoryReclaimer(null, period);
    }
    lowerHeapFreeRatios();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "distilflux-memory-reclaimer");
      thread.setDaemon(true);
      return thread;
    });
    NativeMemoryReclaimer reclaimer = new NativeMemoryReclaimer(scheduler, period);
    long check = Math.min(CHECK_MILLIS, Math.max(1, period.toMillis()));
    scheduler.scheduleWithFixedDelay(reclaimer::check, check, check, TimeUnit.MILLISECONDS);
    return reclaimer;
  }

  /** Collects when the period is over or the heap has outgrown its budget. */
  private void check() {
    try {
      MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
      if (System.nanoTime() - lastCollection < periodNanos && heap.getCommitted() <= budget) {
        return;
      }
      Nd4j.getMemoryManager().invokeGc();
      if (trim) {
        trim = trimNativeHeap();
      }
      lastCollection = System.nanoTime();
      MemoryUsage after = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
      // At least twice what stayed committed, so a heap that cannot shrink (a large -Xms) is
      // not collected again at once.
      budget = Math.max((long) MIN_BUDGET_MB << 20,
          Math.max(GROWTH_FACTOR * after.getUsed(), 2 * after.getCommitted()));
    } catch (RuntimeException e) {
      LOG.warn("memory reclaim failed: {}", e.toString());
    }
  }

  /**
   * Returns the C heap's free pages to the system ({@code malloc_trim}), through the JVM's
   * {@code System.trim_native_heap} diagnostic command: the native buffers the collection just
   * freed otherwise stay in the allocator's arenas and in the resident set.
   *
   * @return false where the JVM has no such command (nothing is done then)
   */
  static boolean trimNativeHeap() {
    try {
      ManagementFactory.getPlatformMBeanServer().invoke(DIAGNOSTIC_COMMAND, TRIM_OPERATION,
          new Object[] {null}, new String[] {String[].class.getName()});
      return true;
    } catch (javax.management.JMException | RuntimeException e) {
      LOG.debug("native heap not trimmed: {}", e.toString());
      return false;
    }
  }

  /** Whether this JVM offers {@link #trimNativeHeap()}'s command. */
  static boolean canTrimNativeHeap() {
    try {
      return java.util.Arrays.stream(ManagementFactory.getPlatformMBeanServer()
              .getMBeanInfo(DIAGNOSTIC_COMMAND).getOperations())
          .anyMatch(operation -> operation.getName().equals(TRIM_OPERATION));
    } catch (javax.management.JMException | RuntimeException e) {
      return false;
    }
  }

  /** Sets the manageable heap free ratios the command line left at their defaults. */
  static void lowerHeapFreeRatios() {
    try {
      HotSpotDiagnosticMXBean vm =
          ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      // Min first: the JVM refuses a max below the current min.
      setIfDefault(vm, "MinHeapFreeRatio", MIN_HEAP_FREE_PERCENT);
      setIfDefault(vm, "MaxHeapFreeRatio", MAX_HEAP_FREE_PERCENT);
    } catch (RuntimeException e) {
      // Not HotSpot, or the option is not manageable here: the periodic collection still runs.
      LOG.debug("heap free ratios left as they are: {}", e.toString());
    }
  }

  private static void setIfDefault(HotSpotDiagnosticMXBean vm, String name, int value) {
    VMOption option = vm.getVMOption(name);
    if (option.getOrigin() == VMOption.Origin.DEFAULT) {
      vm.setVMOption(name, Integer.toString(value));
    }
  }

  private static javax.management.ObjectName diagnosticCommand() {
    try {
      return new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand");
    } catch (javax.management.MalformedObjectNameException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops reclaiming. */
  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
