package dev.skiff.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one function, tagged with its app's and its own name, resolved once when its
 * scheduler starts, so that recording is an increment or a histogram update with no lookup. Taken
 * from {@link Metrics#function}; {@link #close()} lets go of them. Thread-safe.
 */
public final class FunctionMeters implements AutoCloseable {
  private final Metrics owner;
  private final String app;
  private final String function;
  private final Counter started;
  private final Counter succeeded;
  private final Counter failed;
  private final Counter cancelled;
  private final Counter retried;
  private final Counter timedOut;
  private final Counter coldStarts;
  private final Timer duration;
  private final Timer queueWait;
  private final Timer coldStartDuration;
  private final List<Meter> all;

  FunctionMeters(Metrics owner, MeterRegistry registry, String app, String function) {
    this.owner = owner;
    this.app = app;
    this.function = function;
    Tags tags = Tags.of("app", app, "function", function);
    this.started =
        counter(registry, "skiff.inputs.started", "inputs whose first attempt began", tags);
    this.succeeded =
        counter(registry, "skiff.inputs.succeeded", "inputs that finished with a value", tags);
    this.failed =
        counter(
            registry,
            "skiff.inputs.failed",
            "inputs that finished with an error (after their retries), cancellations apart",
            tags);
    this.cancelled =
        counter(registry, "skiff.inputs.cancelled", "inputs cancelled before they finished", tags);
    this.retried =
        counter(registry, "skiff.inputs.retried", "failed attempts that are tried again", tags);
    this.timedOut =
        counter(registry, "skiff.inputs.timed.out", "attempts that ran past the timeout", tags);
    this.coldStarts =
        counter(
            registry,
            "skiff.cold.starts",
            "containers started for the function (not taken from the warm pool) that became ready",
            tags);
    this.duration =
        Timer.builder("skiff.input.duration")
            .description("from an input's submission to its final result, retries included")
            .tags(tags)
            .serviceLevelObjectives(Metrics.inputBuckets())
            .register(registry);
    this.queueWait =
        Timer.builder("skiff.input.queue.wait")
            .description(
                "how long an attempt waited in the queue before it was sent to a container")
            .tags(tags)
            .serviceLevelObjectives(Metrics.inputBuckets())
            .register(registry);
    this.coldStartDuration =
        Timer.builder("skiff.cold.start.duration")
            .description("from a cold-started container's creation to its ready")
            .tags(tags)
            .serviceLevelObjectives(Metrics.coldStartBuckets())
            .register(registry);
    this.all =
        List.of(
            started,
            succeeded,
            failed,
            cancelled,
            retried,
            timedOut,
            coldStarts,
            duration,
            queueWait,
            coldStartDuration);
  }

  private static Counter counter(MeterRegistry registry, String name, String help, Tags tags) {
    return Counter.builder(name).description(help).tags(tags).register(registry);
  }

  String app() {
    return app;
  }

  String function() {
    return function;
  }

  void removeFrom(MeterRegistry registry) {
    all.forEach(registry::remove);
  }

  /** An input's first attempt was sent to a container. */
  public void started() {
    started.increment();
  }

  /** An attempt waited {@code nanos} in the queue before it was sent to a container. */
  public void waited(long nanos) {
    queueWait.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  /** An input finished with a value, {@code nanos} after it was submitted. */
  public void succeeded(long nanos) {
    succeeded.increment();
    duration.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  /** An input finished with an error, {@code nanos} after it was submitted. */
  public void failed(long nanos) {
    failed.increment();
    duration.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  /** An input was cancelled; its duration is not recorded. */
  public void cancelled() {
    cancelled.increment();
  }

  /** A failed attempt will be tried again. */
  public void retried() {
    retried.increment();
  }

  /** An attempt ran past the function's timeout. */
  public void timedOut() {
    timedOut.increment();
  }

  /** A container started for the function became ready {@code nanos} after it was created. */
  public void coldStarted(long nanos) {
    coldStarts.increment();
    coldStartDuration.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  /** Lets go of these meters; the last holder removes them from the registry. */
  @Override
  public void close() {
    owner.release(this);
  }
}
