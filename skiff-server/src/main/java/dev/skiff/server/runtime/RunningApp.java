package dev.skiff.server.runtime;

import java.util.Map;
import java.util.Optional;

/**
 * A registered app and the scheduler of each of its functions.
 *
 * @param spec the app's identity
 * @param functions the schedulers by function name
 */
public record RunningApp(AppSpec spec, Map<String, FunctionScheduler> functions) {
  public RunningApp {
    functions = Map.copyOf(functions);
  }

  public Optional<FunctionScheduler> function(String name) {
    return Optional.ofNullable(functions.get(name));
  }
}
