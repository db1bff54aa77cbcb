package dev.skiff.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What the harness started and must stop, even on failure: app runs, child processes, channels, and
 * nested scopes. {@link #close()} closes everything registered, newest first, and keeps going when
 * one fails. Every resource registered here must have an idempotent {@code close()}, because a
 * benchmark also closes what it opened itself (try-with-resources), and a shutdown hook or a
 * timed-out phase may close it again from another thread. Thread-safe.
 */
final class Cleanup implements AutoCloseable {
  private final String name;
  // Guards open and closed.
  private final Object lock = new Object();
  private final Deque<AutoCloseable> open = new ArrayDeque<>();
  private boolean closed;

  Cleanup(String name) {
    this.name = name;
  }

  /**
   * Registers {@code resource} to be closed with this scope, and returns it. When the scope is
   * already closed, closes it at once and throws, so nothing started late can outlive the scope.
   */
  <T extends AutoCloseable> T register(T resource) {
    synchronized (lock) {
      if (!closed) {
        open.push(resource);
        return resource;
      }
    }
    closeQuietly(resource);
    throw new IllegalStateException("scope '" + name + "' is already closed");
  }

  /** A new scope whose resources close with this one (or earlier, when it is closed itself). */
  Cleanup child(String childName) {
    return register(new Cleanup(childName));
  }

  @Override
  public void close() {
    List<AutoCloseable> toClose;
    synchronized (lock) {
      closed = true;
      toClose = new ArrayList<>(open); // newest first
      open.clear();
    }
    toClose.forEach(this::closeQuietly);
  }

  private void closeQuietly(AutoCloseable resource) {
    try {
      resource.close();
    } catch (Exception e) {
      System.err.println("bench: closing " + resource + " in scope '" + name + "' failed: " + e);
    }
  }

  @Override
  public String toString() {
    return "scope '" + name + "'";
  }
}
