package dev.skiff.server.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.skiff.proto.LogLine;
import dev.skiff.server.store.LogStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class StoredLogsTest {
  /** A store that refuses lines while {@code full} is set. */
  private static final class FullStore implements LogStore {
    final List<byte[]> taken = new ArrayList<>();
    boolean full;

    @Override
    public CompletableFuture<Boolean> append(String appName, String containerId, byte[] line) {
      if (full) {
        return CompletableFuture.completedFuture(false);
      }
      taken.add(line);
      return new CompletableFuture<>(); // taken, not yet written
    }

    @Override
    public CompletableFuture<Boolean> prune(String appName, int keep) {
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public List<byte[]> newest(String appName, int limit) {
      return List.of();
    }

    @Override
    public Optional<String> appOfContainer(String containerId) {
      return Optional.empty();
    }
  }

  private static LogLine line(String text) {
    return LogLine.newBuilder().setContainerId("c-1").setText(text).build();
  }

  @Test
  void linesTheStoreRefusesAreCountedAndReportedAheadOfTheNextItTakes()
      throws InvalidProtocolBufferException {
    FullStore store = new FullStore();
    StoredLogs logs = new StoredLogs(store, id -> Optional.of("app"));
    logs.append("app", line("one"));
    store.full = true;
    logs.append("app", line("two"));
    logs.append("app", line("three"));
    store.full = false;
    logs.append("app", line("four"));

    List<String> texts = new ArrayList<>();
    for (byte[] bytes : store.taken) {
      texts.add(LogLine.parseFrom(bytes).getText());
    }
    assertThat(texts)
        .containsExactly(
            "one", "[skiff: 2 lines dropped: the store's writes of lines fell behind]", "four");
  }
}
