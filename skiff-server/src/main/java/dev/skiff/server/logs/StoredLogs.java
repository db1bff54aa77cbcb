package dev.skiff.server.logs;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.skiff.proto.LogLine;
import dev.skiff.server.store.LogStore;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Deployed apps' log lines in the server's store, by app name. Thread-safe. */
public final class StoredLogs implements LogFanout.Archive {
  private static final System.Logger LOG = System.getLogger(StoredLogs.class.getName());

  private final LogStore store;
  private final Function<String, Optional<String>> names;

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
    store.append(name, line.getContainerId(), line.toByteArray());
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
