package dev.skiff.server.runtime;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that never steps: its instants come from {@link System#nanoTime()}, so that the durations
 * between them (heartbeat silences, idle windows, backoffs, run times) are right even when the wall
 * clock is set forward or back (NTP, a suspended VM, an operator). Its instants are not dates: they
 * count from an arbitrary origin, are compared only with each other, and are never shown or stored.
 * Thread-safe.
 */
public final class MonotonicClock extends Clock {
  private static final MonotonicClock SYSTEM = new MonotonicClock();

  private MonotonicClock() {}

  /** The clock of this JVM's monotonic time source. */
  public static Clock system() {
    return SYSTEM;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochSecond(0, System.nanoTime());
  }

  @Override
  public long millis() {
    return System.nanoTime() / 1_000_000;
  }
}
