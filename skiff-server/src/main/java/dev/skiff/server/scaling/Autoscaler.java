package dev.skiff.server.scaling;

import dev.skiff.server.runtime.FunctionScheduler;
import java.time.Instant;

/**
 * Decides how many containers a function starts or stops, given its policy and its load right now.
 * Implementations are pure (no clocks, no I/O: the time is an argument) and thread-safe; {@link
 * FunctionScheduler} asks after every change of load and on every tick, and carries out the
 * decision.
 */
public interface Autoscaler {
  ScalingDecision decide(ScalingPolicy policy, FunctionLoad load, Instant now);
}
