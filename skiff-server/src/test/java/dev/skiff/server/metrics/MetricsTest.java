package dev.skiff.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MetricsTest {
  private final Metrics metrics = Metrics.create();

  @Test
  void aFunctionsSeriesLeaveWhenItsLastHolderLetsGo() {
    FunctionMeters old = metrics.function("shop", "pay");
    FunctionMeters redeployed = metrics.function("shop", "pay");
    assertThat(redeployed).isSameAs(old);
    old.started();
    old.close(); // the retired version drained; the new one still holds the meters
    assertThat(metrics.scrape())
        .contains("skiff_inputs_started_total{app=\"shop\",function=\"pay\"} 1.0");
    redeployed.close();
    assertThat(metrics.scrape()).doesNotContain("app=\"shop\"");
    // Run again, the function starts from zero.
    try (FunctionMeters again = metrics.function("shop", "pay")) {
      assertThat(metrics.scrape())
          .contains("skiff_inputs_started_total{app=\"shop\",function=\"pay\"} 0.0");
    }
  }

  @Test
  void everyFunctionMeterIsExportedWithItsAppAndFunction() {
    try (FunctionMeters m = metrics.function("a", "f")) {
      m.started();
      m.waited(Duration.ofMillis(3).toNanos());
      m.succeeded(Duration.ofMillis(20).toNanos());
      m.failed(Duration.ofSeconds(2).toNanos());
      m.cancelled();
      m.retried();
      m.timedOut();
      m.coldStarted(Duration.ofMillis(800).toNanos());
      String text = metrics.scrape();
      String tags = "{app=\"a\",function=\"f\"}";
      assertThat(text)
          .contains("skiff_inputs_started_total" + tags + " 1.0")
          .contains("skiff_inputs_succeeded_total" + tags + " 1.0")
          .contains("skiff_inputs_failed_total" + tags + " 1.0")
          .contains("skiff_inputs_cancelled_total" + tags + " 1.0")
          .contains("skiff_inputs_retried_total" + tags + " 1.0")
          .contains("skiff_inputs_timed_out_total" + tags + " 1.0")
          .contains("skiff_cold_starts_total" + tags + " 1.0")
          .contains("skiff_input_duration_seconds_count" + tags + " 2")
          .contains("skiff_input_duration_seconds_bucket{app=\"a\",function=\"f\",le=\"0.025\"} 1")
          .contains("skiff_input_queue_wait_seconds_count" + tags + " 1")
          .contains("skiff_cold_start_duration_seconds_count" + tags + " 1");
    }
  }

  @Test
  void webRequestsCountByStatusCodeAndOddCodesShareOneSeries() {
    metrics.webRequest(200);
    metrics.webRequest(200);
    metrics.webRequest(503);
    metrics.webRequest(42);
    metrics.webRequest(1000);
    assertThat(metrics.scrape())
        .contains("skiff_web_requests_total{status=\"200\"} 2.0")
        .contains("skiff_web_requests_total{status=\"503\"} 1.0")
        .contains("skiff_web_requests_total{status=\"other\"} 2.0");
  }

  @Test
  void containersByStateAreAskedForAtEachScrape() {
    metrics.countContainersWith(() -> new ContainerCounts(1, 2, 3, 4));
    assertThat(metrics.scrape())
        .contains("skiff_containers{state=\"starting\"} 1.0")
        .contains("skiff_containers{state=\"idle\"} 2.0")
        .contains("skiff_containers{state=\"busy\"} 3.0")
        .contains("skiff_containers{state=\"stopping\"} 4.0");
  }

  @Test
  void theJvmsAndTheProcesssStandardMetersComeAlong() {
    assertThat(metrics.scrape())
        .contains("jvm_memory_used_bytes{")
        .contains("jvm_threads_live_threads ")
        .contains("jvm_classes_loaded_classes ")
        .contains("system_cpu_count ")
        .contains("process_uptime_seconds ")
        .contains("process_start_time_seconds ");
  }

  @Test
  void scheduleLagAndStoreCommitsAreHistograms() {
    metrics.scheduleFired(Duration.ofMillis(5));
    metrics.storeCommitted(Duration.ofMillis(2).toNanos());
    assertThat(metrics.scrape())
        .contains("skiff_schedule_lag_seconds_count 1")
        .contains("skiff_store_commit_seconds_count 1")
        .contains("skiff_store_commit_seconds_bucket{le=\"0.0025\"} 1");
  }
}
