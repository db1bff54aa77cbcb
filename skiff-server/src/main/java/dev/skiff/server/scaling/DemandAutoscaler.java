package dev.skiff.server.scaling;

import dev.skiff.server.runtime.Failures;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Scales a function to its demand. The desired number of live containers is
 *
 * <pre>{@code
 * demand  = queued + running
 * desired = clamp(demand > 0 ? ceil(demand / targetInputs) + buffer : 0, min, max)
 * }</pre>
 *
 * <p>The buffer applies only while the function has inputs (as Modal's {@code buffer_containers}:
 * idle containers kept beyond current load), so an idle function still scales to {@code min}, which
 * is zero by default.
 *
 * <p>Missing containers start at once, unless starts are backing off after failures. The cap counts
 * stopping containers too, whose processes still exist: a function never has more than {@code max}
 * container processes, and a start waits for a stopping container to exit when that is what holds
 * it back. Surplus containers stop only once they have been idle for the scale-down window, the
 * longest idle first, never below the desired count; a busy container is never stopped. When the
 * cap was lowered below the live count (by {@code updateAutoscaler}), idle and starting containers
 * above it stop at once, and busy ones as soon as they are idle.
 *
 * <p>Pure and thread-safe: the time is an argument.
 */
public final class DemandAutoscaler implements Autoscaler {
  @Override
  public ScalingDecision decide(ScalingPolicy policy, FunctionLoad load, Instant now) {
    int demand = load.queued() + load.running();
    int needed = ceilDiv(demand, policy.targetInputs());
    int wanted = demand > 0 ? needed + policy.bufferContainers() : 0;
    int desired = Math.clamp(wanted, policy.minContainers(), policy.maxContainers());
    int live = load.live();
    int stopping = load.stopping();
    String state =
        "queued="
            + load.queued()
            + " running="
            + load.running()
            + " -> desired="
            + desired
            + " (ceil("
            + demand
            + "/"
            + policy.targetInputs()
            + ")"
            + (demand > 0 && policy.bufferContainers() > 0
                ? " + buffer " + policy.bufferContainers()
                : "")
            + " within "
            + policy.minContainers()
            + ".."
            + policy.maxContainers()
            + "); live="
            + live
            + " (starting="
            + load.starting()
            + " ready="
            + load.ready()
            + ") stopping="
            + stopping;
    if (live < desired) {
      int missing = desired - live;
      if (load.backingOff()) {
        String why = "container starts are backing off after repeated failed starts";
        return new ScalingDecision(desired, 0, List.of(), Optional.of(why), state + ": " + why);
      }
      int room = Math.max(0, policy.maxContainers() - live - stopping);
      int start = Math.min(missing, room);
      Optional<String> waiting =
          start < missing
              ? Optional.of(
                  "maxContainers="
                      + policy.maxContainers()
                      + " reached while "
                      + stopping
                      + " container(s) still stop")
              : Optional.empty();
      if (start == 0) {
        return new ScalingDecision(
            desired, 0, List.of(), waiting, state + ": waiting, " + waiting.orElseThrow());
      }
      String why =
          wanted > policy.minContainers()
              ? (demand > 0 && live >= needed
                  ? "to keep buffer=" + policy.bufferContainers() + " idle"
                  : "to serve waiting inputs")
              : "to keep min=" + policy.minContainers();
      return new ScalingDecision(
          desired,
          start,
          List.of(),
          waiting,
          state + ": starting " + start + " " + why + waiting.map(w -> "; " + w).orElse(""));
    }
    if (live == desired) {
      return new ScalingDecision(desired, 0, List.of(), Optional.empty(), state + ": steady");
    }
    List<String> stop = new ArrayList<>();
    List<ContainerLoad> idle =
        load.containers().stream()
            .filter(c -> c.state() == ContainerLoad.State.IDLE)
            .sorted(Comparator.comparing(ContainerLoad::since))
            .toList();
    int overCap = live - policy.maxContainers();
    if (overCap > 0) {
      List<ContainerLoad> starting =
          load.containers().stream()
              .filter(c -> c.state() == ContainerLoad.State.STARTING)
              .sorted(Comparator.comparing(ContainerLoad::since).reversed())
              .toList();
      for (ContainerLoad c : concat(idle, starting)) {
        if (stop.size() < overCap) {
          stop.add(c.id());
        }
      }
    }
    int surplus = live - desired;
    for (ContainerLoad c : idle) {
      if (stop.size() >= surplus) {
        break;
      }
      if (!stop.contains(c.id()) && !now.isBefore(c.since().plus(policy.scaledownWindow()))) {
        stop.add(c.id());
      }
    }
    if (stop.isEmpty()) {
      return new ScalingDecision(
          desired,
          0,
          List.of(),
          Optional.empty(),
          state + ": " + surplus + " surplus, none idle past the scale-down window");
    }
    String why =
        overCap > 0
            ? "above maxContainers=" + policy.maxContainers()
            : "idle past the scale-down window of " + Failures.format(policy.scaledownWindow());
    return new ScalingDecision(
        desired,
        0,
        stop,
        Optional.empty(),
        state + ": stopping " + stop.size() + " " + why + " " + stop);
  }

  private static List<ContainerLoad> concat(List<ContainerLoad> a, List<ContainerLoad> b) {
    List<ContainerLoad> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static int ceilDiv(int a, int b) {
    return -Math.floorDiv(-a, b);
  }
}
