package dev.skiff.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * The meters of one control plane, in a Micrometer registry of its own, and their Prometheus text
 * (served at the web gateway's {@code /metrics}; docs/metrics.md lists every meter).
 *
 * <p><b>Cheap where it is hot.</b> What the call path records goes to meters resolved once: a
 * function's scheduler holds its {@link FunctionMeters} (counters and timers with the function's
 * tags), and web requests count on a counter per status code created on first use. Gauges that
 * would need locks (containers by state) are computed once per scrape.
 *
 * <p><b>Bounded series.</b> Labels are app and function names, container states and HTTP status
 * codes, never ids of calls, inputs or containers. A function's series exist while one of its
 * schedulers holds its meters ({@link #function}); when the last one lets go ({@link
 * FunctionMeters#close()}: its app stopped or was undeployed, and every retired version drained),
 * they are removed, so an app that comes and goes leaves no series behind (a redeploy keeps them:
 * the new version takes the meters before the old one lets go). Counters of an app run again start
 * from zero, which Prometheus reads as a reset.
 *
 * <p>Thread-safe.
 */
public final class Metrics {
  /** The content type of {@link #scrape()}: Prometheus's text format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Duration[] INPUT_BUCKETS =
      durations(
          "PT0.001S",
          "PT0.005S",
          "PT0.01S",
          "PT0.025S",
          "PT0.05S",
          "PT0.1S",
          "PT0.25S",
          "PT0.5S",
          "PT1S",
          "PT2.5S",
          "PT5S",
          "PT10S",
          "PT30S",
          "PT60S",
          "PT300S",
          "PT900S");
  private static final Duration[] COLD_START_BUCKETS =
      durations(
          "PT0.1S", "PT0.25S", "PT0.5S", "PT1S", "PT2S", "PT5S", "PT10S", "PT30S", "PT60S",
          "PT300S");
  private static final Duration[] COMMIT_BUCKETS =
      durations(
          "PT0.0005S",
          "PT0.001S",
          "PT0.0025S",
          "PT0.005S",
          "PT0.01S",
          "PT0.025S",
          "PT0.05S",
          "PT0.1S",
          "PT0.25S",
          "PT1S",
          "PT5S");
  private static final Duration[] LAG_BUCKETS =
      durations("PT0.001S", "PT0.01S", "PT0.1S", "PT0.5S", "PT1S", "PT5S", "PT60S", "PT600S");

  /** Status codes are 100..599; anything else counts as {@code status="other"}. */
  private static final int STATUSES = 600;

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer scheduleLag;
  private final Timer storeCommit;
  private final AtomicReferenceArray<Counter> webRequests = new AtomicReferenceArray<>(STATUSES);
  private volatile Supplier<ContainerCounts> containerSource = () -> ContainerCounts.NONE;
  private volatile ContainerCounts containers = ContainerCounts.NONE;

  // Guards functions: each function's meters and how many schedulers hold them.
  private final Object lock = new Object();
  private final Map<FunctionKey, Held> functions = new HashMap<>();

  private record FunctionKey(String app, String function) {}

  private static final class Held {
    final FunctionMeters meters;
    int holders;

    Held(FunctionMeters meters) {
      this.meters = meters;
    }
  }

  private Metrics() {
    this.scheduleLag =
        Timer.builder("skiff.schedule.lag")
            .description("how late each scheduled run fired after its tick")
            .serviceLevelObjectives(LAG_BUCKETS)
            .register(registry);
    this.storeCommit =
        Timer.builder("skiff.store.commit")
            .description("how long the store took to apply and commit one batch of writes")
            .serviceLevelObjectives(COMMIT_BUCKETS)
            .register(registry);
    for (String state : new String[] {"starting", "idle", "busy", "stopping"}) {
      Gauge.builder("skiff.containers", this, m -> m.containers(state))
          .description("containers of running functions, by state")
          .tag("state", state)
          .register(registry);
    }
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /** A registry with the control plane's fixed meters and the JVM's; no function's yet. */
  public static Metrics create() {
    return new Metrics();
  }

  /**
   * The meters of a function, created on first use; each caller holds them until it {@linkplain
   * FunctionMeters#close() closes} them, and they leave the registry when the last holder has.
   */
  public FunctionMeters function(String app, String function) {
    FunctionKey key = new FunctionKey(app, function);
    synchronized (lock) {
      Held held =
          functions.computeIfAbsent(
              key, k -> new Held(new FunctionMeters(this, registry, app, function)));
      held.holders++;
      return held.meters;
    }
  }

  /** One holder of {@code meters} lets go; the last removes them from the registry. */
  void release(FunctionMeters meters) {
    FunctionKey key = new FunctionKey(meters.app(), meters.function());
    synchronized (lock) {
      Held held = functions.get(key);
      if (held == null || held.meters != meters) {
        return;
      }
      if (--held.holders == 0) {
        functions.remove(key);
        meters.removeFrom(registry);
      }
    }
  }

  /** Where {@code skiff_containers} comes from: asked once per scrape. */
  public void countContainersWith(Supplier<ContainerCounts> source) {
    this.containerSource = source;
  }

  private double containers(String state) {
    ContainerCounts c = containers;
    return switch (state) {
      case "starting" -> c.starting();
      case "idle" -> c.idle();
      case "busy" -> c.busy();
      default -> c.stopping();
    };
  }

  /** A scheduled run fired {@code lag} after its tick. */
  public void scheduleFired(Duration lag) {
    scheduleLag.record(lag.isNegative() ? Duration.ZERO : lag);
  }

  /** The store committed one batch of writes in {@code nanos}. */
  public void storeCommitted(long nanos) {
    storeCommit.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  /** The web gateway answered a request with {@code status}. */
  public void webRequest(int status) {
    int index = status >= 100 && status < STATUSES ? status : 0;
    Counter counter = webRequests.get(index);
    if (counter == null) {
      counter =
          Counter.builder("skiff.web.requests")
              .description("requests the web gateway answered, by HTTP status code")
              .tag("status", index == 0 ? "other" : Integer.toString(index))
              .register(registry);
      webRequests.set(index, counter);
    }
    counter.increment();
  }

  /** Every meter in Prometheus's text format ({@link #CONTENT_TYPE}). */
  public String scrape() {
    try {
      containers = containerSource.get();
    } catch (RuntimeException e) {
      containers = ContainerCounts.NONE; // the control plane is closing
    }
    return registry.scrape();
  }

  private static Duration[] durations(String... values) {
    Duration[] d = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      d[i] = Duration.parse(values[i]);
    }
    return d;
  }

  static Duration[] inputBuckets() {
    return INPUT_BUCKETS.clone();
  }

  static Duration[] coldStartBuckets() {
    return COLD_START_BUCKETS.clone();
  }
}
