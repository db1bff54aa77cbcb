package dev.skiff.internal;

import dev.skiff.Cron;
import dev.skiff.Every;
import dev.skiff.Schedule;
import dev.skiff.proto.CronDef;
import dev.skiff.proto.ScheduleDef;

/** The wire form of a {@link Schedule}. */
public final class ScheduleCodec {
  private ScheduleCodec() {}

  /** The schedule as the control plane reads it. */
  public static ScheduleDef toProto(Schedule schedule) {
    return switch (schedule) {
      case Every e -> ScheduleDef.newBuilder().setPeriodMs(e.interval().toMillis()).build();
      case Cron c ->
          ScheduleDef.newBuilder()
              .setCron(CronDef.newBuilder().setExpression(c.expression()).setZone(c.zone().getId()))
              .build();
    };
  }
}
