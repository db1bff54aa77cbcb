package dev.skiff.server;

import java.util.Map;
import java.util.Optional;

/**
 * A registered app and the scheduler of each of its functions.
 *
 * @param spec the app's identity
 * @param functions the schedulers by function name
 */
record RunningApp(AppSpec spec, Map<String, FunctionScheduler> functions) {
  RunningApp {
    functions = Map.copyOf(functions);
  }

  Optional<FunctionScheduler> function(String name) {
    return Optional.ofNullable(functions.get(name));
  }
}
