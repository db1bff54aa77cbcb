package dev.skiff.server.web;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The request-body bytes the gateway may hold at once, over all requests ({@code
 * --web-max-buffered-mib}). A request takes its body's bytes before reading it and gives them back
 * when it is answered; one that cannot take them is refused rather than waiting, so a burst of
 * large bodies costs a bounded amount of memory. Thread-safe.
 */
final class BodyBudget {
  private final long capacity;
  private final AtomicLong available;

  BodyBudget(long capacity) {
    this.capacity = capacity;
    this.available = new AtomicLong(capacity);
  }

  /** Takes {@code bytes} if that many are available; false (taking nothing) otherwise. */
  boolean tryTake(long bytes) {
    long now;
    do {
      now = available.get();
      if (now < bytes) {
        return false;
      }
    } while (!available.compareAndSet(now, now - bytes));
    return true;
  }

  /** Gives back {@code bytes} taken before. */
  void give(long bytes) {
    available.addAndGet(bytes);
  }

  /** The bytes the budget holds in all. */
  long capacity() {
    return capacity;
  }
}
