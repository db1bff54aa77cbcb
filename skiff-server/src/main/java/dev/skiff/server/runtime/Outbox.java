package dev.skiff.server.runtime;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Work that a {@link FunctionScheduler} decides under its lock but must do after releasing it:
 * delivering results to callers (whose streams have locks of their own, and may call back into the
 * scheduler) and calls into the container backend. Runs the actions in the order they were added,
 * on the thread that calls {@link #run()}, then flushes each listener that received something, so
 * that a listener can batch what one locked section delivered. Not thread-safe: one per locked
 * section.
 */
public final class Outbox {
  private static final System.Logger LOG = System.getLogger(Outbox.class.getName());

  private final List<Runnable> actions = new ArrayList<>();
  private final Set<InputListener> toFlush = new LinkedHashSet<>();

  void add(Runnable action) {
    actions.add(action);
  }

  /** Delivers to a listener, and flushes it once after all actions. */
  void deliver(InputListener listener, Runnable delivery) {
    actions.add(delivery);
    toFlush.add(listener);
  }

  void run() {
    for (Runnable action : actions) {
      try {
        action.run();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a deferred control-plane action failed", e);
      }
    }
    actions.clear();
    for (InputListener listener : toFlush) {
      try {
        listener.flush();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "flushing results failed", e);
      }
    }
    toFlush.clear();
  }
}
