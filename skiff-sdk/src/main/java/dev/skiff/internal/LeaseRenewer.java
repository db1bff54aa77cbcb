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
 * renewal has a deadline of a third of the lease, so a half-open connection cannot hold it up; a
 * failed renewal is tried again at the next period. When the server answers that the app is gone
 * (its lease lapsed), renewing ends and one line on stderr says so.
 *
 * <p>Thread-safe; {@link #close()} stops the renewals.
 */
final class LeaseRenewer implements AutoCloseable {
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
    renewer.timer.scheduleWithFixedDelay(
        renewer::renew, renewer.periodMillis, renewer.periodMillis, TimeUnit.MILLISECONDS);
    return renewer;
  }

  private void renew() {
    try {
      client
          .blocking()
          .withDeadlineAfter(periodMillis, TimeUnit.MILLISECONDS)
          .renewAppLease(RenewAppLeaseRequest.newBuilder().setAppId(appId).build());
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
      // Otherwise (the server is slow, restarting or out of reach): the next period tries again,
      // and the server stops the app if none gets through within the lease.
    } catch (RuntimeException e) {
      // As above: a renewal that fails is retried at the next period.
    }
  }

  /** Stops renewing (the run is closing, and stops the app itself). */
  @Override
  public void close() {
    timer.shutdownNow();
  }
}
