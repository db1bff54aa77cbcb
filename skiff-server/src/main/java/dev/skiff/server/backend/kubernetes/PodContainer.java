package dev.skiff.server.backend.kubernetes;

import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerStartException;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One container as a pod, its state driven by what the backend's pod informer sees ({@link
 * #observe}, {@link #deleted}), never by polling. The pod's phase decides: Pending (waiting for a
 * node, which {@link #waitingReason()} explains, or for its image, which fails the start when it
 * cannot be pulled), Running, and Succeeded or Failed, which end it with the container's exit code.
 * A memory limit's kill (OOMKilled) ends it as {@link ContainerHandle#KILLED_FOR_MEMORY}; an
 * eviction or a lost node as a crash with the reason; a pod deleted by someone else as killed.
 *
 * <p>Thread-safe: the futures complete once; the rest is volatile and replaced whole.
 */
final class PodContainer implements ContainerHandle {
  /** Exit code of a pod that was deleted or killed before its container ended: SIGKILL. */
  static final int KILLED = 128 + 9;

  private static final Set<String> IMAGE_FAILURES =
      Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");

  /** Deletes the pod with a grace period in seconds. */
  @FunctionalInterface
  interface Deleter {
    void delete(long graceSeconds);
  }

  private final String id;
  private final String podName;
  private final String image;
  private final long graceSeconds;
  private final Deleter deleter;
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private final CompletableFuture<Void> settled = new CompletableFuture<>();
  private final CompletableFuture<Void> running = new CompletableFuture<>();
  private volatile Optional<String> waiting = Optional.empty();
  private volatile List<String> tail = List.of();
  private volatile boolean ended; // stop or kill asked for

  PodContainer(String id, String podName, String image, long graceSeconds, Deleter deleter) {
    this.id = id;
    this.podName = podName;
    this.image = image;
    this.graceSeconds = graceSeconds;
    this.deleter = deleter;
  }

  String podName() {
    return podName;
  }

  /**
   * Completes once the pod runs, ended, or waits for a node; fails with a {@link
   * ContainerStartException} when its image cannot be pulled.
   */
  CompletableFuture<Void> settled() {
    return settled;
  }

  /** Completes once the pod's container runs (its log can be followed). */
  CompletableFuture<Void> running() {
    return running;
  }

  /** Takes in the pod's latest state, as the informer saw it. */
  void observe(Pod pod) {
    PodStatus status = pod.getStatus();
    if (status == null || exit.isDone()) {
      return;
    }
    Optional<ContainerStatus> container =
        status.getContainerStatuses() == null
            ? Optional.empty()
            : status.getContainerStatuses().stream()
                .filter(c -> PodManifests.CONTAINER_NAME.equals(c.getName()))
                .findFirst();
    Optional<ContainerState> state = container.map(ContainerStatus::getState);
    String phase = status.getPhase() == null ? "Pending" : status.getPhase();
    switch (phase) {
      case "Succeeded", "Failed" -> ended(status, state.map(ContainerState::getTerminated));
      case "Unknown" ->
          crashed(1, "pod " + podName + " lost touch with its node" + because(status));
      case "Running" -> {
        waiting = Optional.empty();
        settled.complete(null);
        running.complete(null);
      }
      default -> pending(status, state.map(ContainerState::getWaiting));
    }
  }

  private void pending(PodStatus status, Optional<ContainerStateWaiting> waitingState) {
    if (waitingState.isPresent() && IMAGE_FAILURES.contains(waitingState.get().getReason())) {
      String message =
          "could not pull image '"
              + image
              + "' for pod "
              + podName
              + " ("
              + waitingState.get().getReason()
              + (waitingState.get().getMessage() == null
                  ? ""
                  : ": " + waitingState.get().getMessage())
              + "); the Kubernetes backend runs registry images that its nodes can pull";
      if (settled.completeExceptionally(new ContainerStartException(message))) {
        return; // start() throws it and deletes the pod
      }
      crashed(1, message);
      return;
    }
    Optional<PodCondition> unscheduled =
        status.getConditions() == null
            ? Optional.empty()
            : status.getConditions().stream()
                .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
                .findFirst();
    if (unscheduled.isPresent()) {
      PodCondition c = unscheduled.get();
      waiting =
          Optional.of(
              "pod "
                  + podName
                  + " is not scheduled ("
                  + (c.getReason() == null ? "no reason given" : c.getReason())
                  + ")"
                  + (c.getMessage() == null ? "" : ": " + c.getMessage()));
      settled.complete(null);
    } else {
      waiting = Optional.empty();
    }
  }

  private void ended(PodStatus status, Optional<ContainerStateTerminated> terminated) {
    boolean failed = "Failed".equals(status.getPhase());
    int code = terminated.map(ContainerStateTerminated::getExitCode).orElse(failed ? 1 : 0);
    if (terminated.isPresent() && "OOMKilled".equals(terminated.get().getReason())) {
      tail =
          List.of(
              KILLED_FOR_MEMORY
                  + ": pod "
                  + podName
                  + " exceeded its memory limit and the kernel killed it (OOMKilled)");
      finish(KILLED);
      return;
    }
    if (failed && status.getReason() != null) { // Evicted, NodeLost, ...
      crashed(code == 0 ? 1 : code, "pod " + podName + " failed" + because(status));
      return;
    }
    List<String> lines = new ArrayList<>();
    terminated
        .map(ContainerStateTerminated::getMessage)
        .ifPresent(m -> lines.addAll(m.lines().toList()));
    if (lines.isEmpty() && code != 0) {
      terminated
          .map(ContainerStateTerminated::getReason)
          .ifPresent(r -> lines.add("the container ended: " + r));
    }
    tail = List.copyOf(lines.subList(Math.max(0, lines.size() - 50), lines.size()));
    finish(code);
  }

  private static String because(PodStatus status) {
    return (status.getReason() == null ? "" : " (" + status.getReason() + ")")
        + (status.getMessage() == null ? "" : ": " + status.getMessage());
  }

  private void crashed(int code, String why) {
    tail = List.of(why);
    finish(code);
  }

  /** The pod is gone: if its container had not ended, someone deleted it, which killed it. */
  void deleted(Pod lastKnown) {
    if (exit.isDone()) {
      return;
    }
    if (!ended) {
      String disruption =
          lastKnown.getStatus() == null || lastKnown.getStatus().getConditions() == null
              ? ""
              : lastKnown.getStatus().getConditions().stream()
                  .filter(c -> "DisruptionTarget".equals(c.getType()))
                  .map(c -> " (" + c.getReason() + "): " + c.getMessage())
                  .findFirst()
                  .orElse("");
      tail = List.of("pod " + podName + " was deleted before its container ended" + disruption);
    }
    finish(KILLED);
  }

  private void finish(int code) {
    waiting = Optional.empty();
    settled.complete(null);
    exit.complete(code);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public OptionalLong pid() {
    return OptionalLong.empty();
  }

  @Override
  public CompletableFuture<Integer> onExit() {
    return exit;
  }

  @Override
  public boolean isAlive() {
    return !exit.isDone();
  }

  @Override
  public void stop() {
    end(graceSeconds);
  }

  @Override
  public void kill() {
    end(0);
  }

  private void end(long grace) {
    if (exit.isDone()) {
      return;
    }
    ended = true;
    deleter.delete(grace);
  }

  @Override
  public Optional<String> waitingReason() {
    return waiting;
  }

  @Override
  public List<String> stderrTail() {
    return tail;
  }
}
