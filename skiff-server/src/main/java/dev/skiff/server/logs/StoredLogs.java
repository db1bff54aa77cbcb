package dev.skiff.server.logs;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.skiff.proto.LogLine;
import dev.skiff.server.store.LogStore;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Deployed apps' log lines in the server's store, by app name. The store takes lines without
 * waiting and refuses them when too many wait to be written; the lines it refused are counted per
 * app and reported by a {@code [skiff: N lines dropped ...]} line stored ahead of the next line it
 * takes. Thread-safe.
 */
public final class StoredLogs implements LogFanout.Archive {
  private static final System.Logger LOG = System.getLogger(StoredLogs.class.getName());

  private final LogStore store;
  private final Function<String, Optional<String>> names;
  // Guards dropped: the lines the store refused since it last took one, by app name.
  private final Object lock = new Object();
  private final Map<String, Long> dropped = new HashMap<>();

  /**
   * @param names the deployed app name of an app id, if it is a deployed app's
   */
  public StoredLogs(LogStore store, Function<String, Optional<String>> names) {
    this.store = store;
    this.names = names;
  }

  @Override
  public Optional<String> deployedName(String appId) {
    return names.apply(appId);
  }

  @Override
  public void append(String name, LogLine line) {
    synchronized (lock) {
      Long refused = dropped.get(name);
      if (refused != null) {
        LogLine report =
            line.toBuilder()
                .setStderr(true)
                .setText(
                    "[skiff: "
                        + refused
                        + " lines dropped: the store's writes of lines fell behind]")
                .build();
        if (!taken(name, report)) {
          dropped.merge(name, 1L, Long::sum);
          return;
        }
        dropped.remove(name);
      }
      if (!taken(name, line)) {
        dropped.merge(name, 1L, Long::sum);
      }
    }
  }

  /** Whether the store took the line (a write that fails later was taken). */
  private boolean taken(String name, LogLine line) {
    CompletableFuture<Boolean> written =
        store.append(name, line.getContainerId(), line.toByteArray());
    return !written.isDone() || written.isCompletedExceptionally() || written.join();
  }

  @Override
  public void prune(String name, int keep) {
    store.prune(name, keep);
  }

  @Override
  public List<LogLine> load(String name, int limit) {
    List<LogLine> lines = new ArrayList<>();
    List<byte[]> stored;
    try {
      stored = store.newest(name, limit);
    } catch (RuntimeException e) { // e.g. the store closed while the control plane stops
      LOG.log(Level.WARNING, "could not load the stored log lines of app ''{0}'': {1}", name, e);
      return lines;
    }
    for (byte[] bytes : stored) {
      try {
        lines.add(LogLine.parseFrom(bytes));
      } catch (InvalidProtocolBufferException e) {
        LOG.log(Level.WARNING, "skipping a damaged stored log line of app ''{0}''", name);
      }
    }
    return lines;
  }

  @Override
  public Optional<String> nameOfContainer(String containerId) {
    try {
      return store.appOfContainer(containerId);
    } catch (RuntimeException e) {
      LOG.log(
          Level.WARNING, "could not look up the logs of container ''{0}'': {1}", containerId, e);
      return Optional.empty();
    }
  }
}
