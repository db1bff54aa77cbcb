package dev.skiff.server;

/**
 * Scales a function to its demand: enough containers that every queued and running input has a
 * slot, {@code ceil((queued + running) / slots)}, within {@code [min, max]}. Starts the missing
 * ones at once (none while starts are backing off); stops containers only after they have idled
 * through the scale-down window, and never below that target. Pure and thread-safe.
 */
final class DemandAutoscaler implements Autoscaler {
  @Override
  public ScalingDecision decide(ScalingPolicy policy, FunctionLoad load) {
    int demand = load.queued() + load.running();
    int needed = ceilDiv(demand, policy.slotsPerContainer());
    int target = Math.min(policy.maxContainers(), Math.max(policy.minContainers(), needed));
    int live = load.starting() + load.ready();
    String state =
        "queued="
            + load.queued()
            + " running="
            + load.running()
            + " starting="
            + load.starting()
            + " ready="
            + load.ready()
            + " slots="
            + policy.slotsPerContainer()
            + " target="
            + target;
    if (live < target) {
      if (load.backingOff()) {
        return new ScalingDecision(0, 0, state + ": starts are backing off after failures");
      }
      String why =
          needed > policy.minContainers()
              ? "to serve waiting inputs"
              : "to keep min=" + policy.minContainers();
      return new ScalingDecision(
          target - live, 0, state + ": starting " + (target - live) + " " + why);
    }
    int surplus = Math.min(load.idleExpired(), live - target);
    if (surplus > 0) {
      return new ScalingDecision(
          0,
          surplus,
          state + ": stopping " + surplus + " container(s) idle past the scale-down window");
    }
    return ScalingDecision.NONE;
  }

  private static int ceilDiv(int a, int b) {
    return -Math.floorDiv(-a, b);
  }
}
