package io.distilflux.trainer.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NativeMemoryReclaimerTest {

  private final HotSpotDiagnosticMXBean vm =
      ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);

  @Test
  void heapFreeRatiosAreLoweredOnlyWhereTheCommandLineLeftTheDefault() {
    VMOption max = vm.getVMOption("MaxHeapFreeRatio");
    VMOption min = vm.getVMOption("MinHeapFreeRatio");
    NativeMemoryReclaimer.lowerHeapFreeRatios();
    assertEquals(expected(max, NativeMemoryReclaimer.MAX_HEAP_FREE_PERCENT),
        vm.getVMOption("MaxHeapFreeRatio").getValue());
    assertEquals(expected(min, NativeMemoryReclaimer.MIN_HEAP_FREE_PERCENT),
        vm.getVMOption("MinHeapFreeRatio").getValue());
  }

  @Test
  void theNativeHeapIsTrimmedExactlyWhereTheJvmOffersTheCommand() {
    // JDK 17.0.9 and later have System.trim_native_heap; older ones report false, never throw
    org.junit.jupiter.api.Assertions.assertEquals(NativeMemoryReclaimer.canTrimNativeHeap(),
        NativeMemoryReclaimer.trimNativeHeap());
  }

  @Test
  void aZeroPeriodStartsNothingAndANegativeOneIsRefused() {
    try (NativeMemoryReclaimer none = NativeMemoryReclaimer.start(Duration.ZERO)) {
      // nothing scheduled: closing is a no-op
    }
    assertThrows(IllegalArgumentException.class,
        () -> NativeMemoryReclaimer.start(Duration.ofSeconds(-1)));
  }

  private static String expected(VMOption before, int lowered) {
    boolean setByUs = before.getOrigin() == VMOption.Origin.DEFAULT
        || before.getOrigin() == VMOption.Origin.MANAGEMENT;
    return setByUs ? Integer.toString(lowered) : before.getValue();
  }
}
