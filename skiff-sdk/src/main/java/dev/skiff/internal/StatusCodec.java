package dev.skiff.internal;

import dev.skiff.AutoscalerSettings;
import dev.skiff.ContainerStatus;
import dev.skiff.FunctionStatus;
import dev.skiff.proto.AppStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Converts the control plane's status messages into the public status records. */
public final class StatusCodec {
  private StatusCodec() {}

  /** The status of each function of an app. */
  public static List<FunctionStatus> fromProto(AppStatus status) {
    return status.getFunctionsList().stream().map(StatusCodec::function).toList();
  }

  /** The warm-pool containers kept for an app's classpath. */
  public static List<ContainerStatus> warmContainers(AppStatus status) {
    return status.getWarmContainersList().stream().map(StatusCodec::container).toList();
  }

  private static FunctionStatus function(dev.skiff.proto.FunctionStatus f) {
    dev.skiff.proto.AutoscalerSettings a = f.getAutoscaler();
    return new FunctionStatus(
        f.getFunctionName(),
        f.getQueuedInputs(),
        f.getRunningInputs(),
        f.getContainersList().stream().map(StatusCodec::container).toList(),
        new AutoscalerSettings(
            a.getMinContainers(),
            a.getMaxContainers(),
            a.getBufferContainers(),
            Duration.ofMillis(a.getScaledownWindowMs()),
            f.getTargetInputs(),
            f.getMaxInputs()),
        f.getDesiredContainers(),
        f.getWaitingContainers(),
        f.getWaitingReason().isEmpty() ? Optional.empty() : Optional.of(f.getWaitingReason()));
  }

  private static ContainerStatus container(dev.skiff.proto.ContainerStatus c) {
    ContainerStatus.State state =
        switch (c.getState()) {
          case CONTAINER_STARTING -> ContainerStatus.State.STARTING;
          case CONTAINER_IDLE -> ContainerStatus.State.IDLE;
          case CONTAINER_BUSY -> ContainerStatus.State.BUSY;
          case CONTAINER_WARM -> ContainerStatus.State.WARM;
          case CONTAINER_STOPPING, CONTAINER_STATE_UNSPECIFIED, UNRECOGNIZED ->
              ContainerStatus.State.STOPPING;
        };
    return new ContainerStatus(c.getContainerId(), state, c.getRunningInputs());
  }
}
