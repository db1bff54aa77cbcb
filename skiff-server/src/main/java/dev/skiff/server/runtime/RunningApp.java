package dev.skiff.server.runtime;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * A registered app and the scheduler of each of its functions. It hands out each function's {@link
 * FunctionInputs} port; only {@link AppDirectory} starts, ticks and closes the schedulers behind
 * them.
 */
public final class RunningApp {
  private final AppSpec spec;
  private final Map<String, FunctionScheduler> schedulers;
  private final Map<String, FunctionInputs> functions;

  /**
   * @param spec the app's identity
   * @param schedulers the schedulers by function name
   */
  RunningApp(AppSpec spec, Map<String, FunctionScheduler> schedulers) {
    this.spec = spec;
    this.schedulers = Map.copyOf(schedulers);
    this.functions = Map.copyOf(schedulers);
  }

  /** The app's identity. */
  public AppSpec spec() {
    return spec;
  }

  /** The input side of each of the app's functions, by function name. */
  public Map<String, FunctionInputs> functions() {
    return functions;
  }

  /** The input side of the app's function {@code name}; empty if the app has none by that name. */
  public Optional<FunctionInputs> function(String name) {
    return Optional.ofNullable(functions.get(name));
  }

  /** The schedulers behind the ports, for {@link AppDirectory}'s start, tick and close. */
  Collection<FunctionScheduler> schedulers() {
    return schedulers.values();
  }

  @Override
  public String toString() {
    return "RunningApp[spec=" + spec + ", functions=" + functions.keySet() + "]";
  }
}
