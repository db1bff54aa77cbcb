package dev.skiff.internal;

import dev.skiff.ScheduledRun;
import dev.skiff.proto.AppHistory;
import dev.skiff.proto.ErrorInfo;
import java.time.Instant;
import java.util.List;

/** Converts the control plane's history messages into the public {@link ScheduledRun} records. */
public final class HistoryCodec {
  private HistoryCodec() {}

  /** An app's scheduled runs, as the public records. */
  public static List<ScheduledRun> fromProto(AppHistory history) {
    return history.getRunsList().stream().map(HistoryCodec::run).toList();
  }

  private static ScheduledRun run(dev.skiff.proto.ScheduledRun r) {
    ScheduledRun.State state;
    if (!r.hasResult()) {
      state = new ScheduledRun.Running();
    } else if (r.getResult().hasError()) {
      ErrorInfo e = r.getResult().getError();
      String error =
          e.getClassName().isEmpty() ? e.getMessage() : e.getClassName() + ": " + e.getMessage();
      state = new ScheduledRun.Failed(Instant.ofEpochMilli(r.getFinishedAtMs()), error);
    } else {
      state = new ScheduledRun.Succeeded(Instant.ofEpochMilli(r.getFinishedAtMs()));
    }
    return new ScheduledRun(
        r.getFunctionName(),
        Instant.ofEpochMilli(r.getScheduledAtMs()),
        Instant.ofEpochMilli(r.getStartedAtMs()),
        state);
  }
}
