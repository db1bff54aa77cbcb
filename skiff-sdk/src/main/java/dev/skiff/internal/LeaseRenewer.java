package dev.skiff.internal;

import dev.skiff.proto.RenewAppLeaseRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the lease of an ephemeral app that a server gave it (docs/server.md, "Leases of ephemeral
 * apps"): renews it every third of its length, from a daemon thread of its own, so that the app
 * runs while this JVM does and the server stops it soon after this JVM is killed or cut off. Each
 * renewal has a deadline of half a period, so a half-open connection cannot hold it up, and a
 * failed renewal is tried again after {@link #RETRY} (reconnecting at once), not a whole period
 * later: one stalled renewal must not cost the app its lease. When the server answers that the app
 * is gone (its lease lapsed), renewing ends and one line on stderr says so.
 *
 * <p>Thread-safe; {@link #close()} stops the renewals.
 */
final class LeaseRenewer implements AutoCloseable {
  /** How soon a failed renewal is tried again (at most a period). */
  static final Duration RETRY = Duration.ofMillis(500);

  private final SkiffClient client;
  private final String appName;
  private final String appId;
  private final long periodMillis;
  private final ScheduledThreadPoolExecutor timer;

  private LeaseRenewer(SkiffClient client, String appName, String appId, Duration lease) {
    this.client = client;
    this.appName = appName;
    this.appId = appId;
    this.periodMillis = Math.max(1, lease.toMillis() / 3);
    this.timer =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().name("skiff-lease-" + appName).daemon().factory());
  }

  /** Starts renewing the lease of {@code lease} of the app {@code appId}. */
  static LeaseRenewer start(SkiffClient client, String appName, String appId, Duration lease) {
    LeaseRenewer renewer = new LeaseRenewer(client, appName, appId, lease);
    renewer.next(renewer.periodMillis);
    return renewer;
  }

  private void next(long delayMillis) {
    if (!timer.isShutdown()) {
      timer.schedule(this::renew, delayMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void renew() {
    long started = System.nanoTime();
    boolean renewed = false;
    try {
      client
          .blocking()
          .withDeadlineAfter(Math.max(1, periodMillis / 2), TimeUnit.MILLISECONDS)
          .renewAppLease(RenewAppLeaseRequest.newBuilder().setAppId(appId).build());
      renewed = true;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND && !timer.isShutdown()) {
        timer.shutdown();
        System.err.println(
            "skiff: app '"
                + appName
                + "' ("
                + appId
                + ") no longer runs on the server: "
                + e.getStatus().getDescription());
      }
      // Otherwise (the server is slow, restarting or out of reach): tried again soon, and the
      // server stops the app if none gets through within the lease.
    } catch (RuntimeException e) {
      // As above.
    }
    if (renewed) {
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      next(Math.max(0, periodMillis - tookMillis));
    } else {
      client.channel().resetConnectBackoff();
      next(Math.min(periodMillis, RETRY.toMillis()));
    }
  }

  /** Stops renewing (the run is closing, and stops the app itself). */
  @Override
  public void close() {
    timer.shutdownNow();
  }
}
