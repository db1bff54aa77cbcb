package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.FunctionTimeoutException;
import dev.skiff.RemoteFunction;
import dev.skiff.server.store.postgres.LocalPostgres;
import dev.skiff.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server's {@code /metrics} after known work (calls that succeed, fail, are retried and time out,
 * a schedule), behind its metrics token, and its {@code /healthz} and {@code /readyz}, the latter
 * failing once its PostgreSQL database is gone.
 */
@Tag("e2e")
class MetricsEndpointTest {
  private static final String TOKEN = "scrape-me";

  @TempDir Path dir;

  @Test
  void metricsCountKnownWorkAndReadinessFailsWhenTheStoreIsGone() throws Exception {
    Path token = dir.resolve("metrics-token");
    Files.writeString(token, TOKEN + "\n");
    Path password = dir.resolve("db-password");
    Files.writeString(password, LocalPostgres.PASSWORD + "\n");
    // A database server of its own, which the test stops.
    try (LocalPostgres postgres = LocalPostgres.start(false);
        ServerProcess server =
            ServerProcess.start(
                "--database",
                postgres.newDatabase() + "?user=" + LocalPostgres.USER,
                "--database-password-file",
                password.toString(),
                "--metrics-token-file",
                token.toString(),
                "--max-warm-containers",
                "0");
        HttpClient http = HttpClient.newBuilder().sslContext(server.sslContext()).build()) {
      Probe probe = new Probe(http, server.webBaseUrl());
      assertThat(probe.get("/healthz", false).body()).isEqualTo("ok\n");
      assertThat(probe.get("/readyz", false).body()).isEqualTo("ready\n");

      server.useInThisJvm();
      MetricsFns.app.deploy();
      RemoteFunction<Integer> twice = fn("twice", Integer.class);
      for (int i = 1; i <= 3; i++) {
        assertThat(twice.remote(i)).isEqualTo(2 * i);
      }
      assertThatThrownBy(() -> fn("boom", Integer.class).remote(1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("boom 1");
      assertThat(fn("flaky", Integer.class).remote(5)).isEqualTo(5);
      assertThatThrownBy(() -> fn("slow", String.class).remote())
          .isInstanceOf(FunctionTimeoutException.class);

      HttpResponse<String> refused = probe.get("/metrics", false);
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.body()).contains("metrics token");

      Map<String, Double> m = probe.scrape();
      assertThat(count(m, "skiff_inputs_started_total", "twice")).isEqualTo(3);
      assertThat(count(m, "skiff_inputs_succeeded_total", "twice")).isEqualTo(3);
      assertThat(count(m, "skiff_inputs_failed_total", "twice")).isZero();
      assertThat(count(m, "skiff_input_duration_seconds_count", "twice")).isEqualTo(3);
      assertThat(count(m, "skiff_input_queue_wait_seconds_count", "twice")).isEqualTo(3);
      assertThat(count(m, "skiff_cold_starts_total", "twice")).isGreaterThanOrEqualTo(1);
      assertThat(count(m, "skiff_cold_start_duration_seconds_count", "twice"))
          .isEqualTo(count(m, "skiff_cold_starts_total", "twice"));

      assertThat(count(m, "skiff_inputs_started_total", "boom")).isEqualTo(1);
      assertThat(count(m, "skiff_inputs_failed_total", "boom")).isEqualTo(1);
      assertThat(count(m, "skiff_inputs_retried_total", "boom")).isZero();

      assertThat(count(m, "skiff_inputs_started_total", "flaky")).isEqualTo(1);
      assertThat(count(m, "skiff_inputs_retried_total", "flaky")).isEqualTo(1);
      assertThat(count(m, "skiff_inputs_succeeded_total", "flaky")).isEqualTo(1);
      assertThat(count(m, "skiff_inputs_failed_total", "flaky")).isZero();
      // Two attempts, each waited in the queue once.
      assertThat(count(m, "skiff_input_queue_wait_seconds_count", "flaky")).isEqualTo(2);

      assertThat(count(m, "skiff_inputs_started_total", "slow")).isEqualTo(1);
      assertThat(count(m, "skiff_inputs_timed_out_total", "slow")).isEqualTo(1);
      assertThat(count(m, "skiff_inputs_failed_total", "slow")).isEqualTo(1);
      assertThat(count(m, "skiff_inputs_succeeded_total", "slow")).isZero();

      double containers =
          m.entrySet().stream()
              .filter(e -> e.getKey().startsWith("skiff_containers{"))
              .mapToDouble(Map.Entry::getValue)
              .sum();
      assertThat(containers).isGreaterThanOrEqualTo(1);
      assertThat(m.get("skiff_store_commit_seconds_count")).isGreaterThanOrEqualTo(1);
      assertThat(m.get("skiff_web_requests_total{status=\"401\"}")).isEqualTo(1);
      assertThat(m.get("skiff_web_requests_total{status=\"200\"}")).isGreaterThanOrEqualTo(2);
      // No call or container id in any label.
      assertThat(m.keySet()).noneMatch(k -> k.matches(".*\\x22(fc|c)-[a-z0-9]+\\x22.*"));
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(probe.scrape().get("skiff_schedule_lag_seconds_count")).isPositive());

      postgres.close();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                HttpResponse<String> r = probe.get("/readyz", false);
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.body()).startsWith("not ready: the store");
              });
      assertThat(probe.get("/healthz", false).statusCode()).isEqualTo(200);
    }
  }

  private static <R> RemoteFunction<R> fn(String name, Class<R> type) {
    return RemoteFunction.fromName("metrics-e2e", name, type);
  }

  /** The value of a function's series; 0 when it has none. */
  private static double count(Map<String, Double> m, String name, String function) {
    return m.getOrDefault(name + "{app=\"metrics-e2e\",function=\"" + function + "\"}", 0.0);
  }

  private record Probe(HttpClient http, String baseUrl) {
    HttpResponse<String> get(String path, boolean withToken) throws Exception {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30));
      if (withToken) {
        b.header("Authorization", "Bearer " + TOKEN);
      }
      return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Every sample of {@code /metrics} by its series ({@code name{labels}}). */
    Map<String, Double> scrape() throws Exception {
      HttpResponse<String> r = get("/metrics", true);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
      Map<String, Double> samples = new HashMap<>();
      for (String line : r.body().split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        int space = line.lastIndexOf(' ');
        samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
      return samples;
    }
  }
}
