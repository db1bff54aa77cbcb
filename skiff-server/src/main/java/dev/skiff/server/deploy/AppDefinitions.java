package dev.skiff.server.deploy;

import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.RetryPolicy;
import dev.skiff.server.common.Bounds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.image.BuiltImage;
import dev.skiff.server.image.ImageStore;
import dev.skiff.server.runtime.AppDirectory;
import dev.skiff.server.runtime.ImageRuntime;
import dev.skiff.server.schedule.ScheduleRunner;
import dev.skiff.server.web.WebGateway;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What an app definition must satisfy before its functions run, whether it is created for one run
 * or deployed: names, bounds, resources, schedules, web endpoints, images, and that every function
 * can be placed. Each check throws INVALID_ARGUMENT naming the first problem.
 */
public final class AppDefinitions {
  private AppDefinitions() {}

  /** The built image of each function that names one; INVALID_ARGUMENT for an unknown image. */
  public static Map<String, ImageRuntime> images(ImageStore images, CreateAppRequest request) {
    Map<String, ImageRuntime> out = new HashMap<>();
    for (FunctionDef f : request.getFunctionsList()) {
      if (f.getImageId().isEmpty()) {
        continue;
      }
      BuiltImage image =
          images
              .find(f.getImageId())
              .orElseThrow(
                  () ->
                      Statuses.invalid(
                          "function '"
                              + f.getName()
                              + "' of app '"
                              + request.getAppName()
                              + "': image '"
                              + f.getImageId()
                              + "' is not built on this control plane (or was found damaged"
                              + " on disk and removed: see the server log); build it with"
                              + " ImageApi.BuildImage, as a deploy does"));
      out.put(f.getName(), ImageRuntime.of(image));
    }
    return out;
  }

  /** Checks an app definition and that each function fits the node; throws naming the problem. */
  public static void check(AppDirectory apps, CreateAppRequest request) {
    validate(request);
    for (FunctionDef f : request.getFunctionsList()) {
      apps.neverFits(f)
          .ifPresent(
              why -> {
                throw Statuses.invalid(
                    "function '"
                        + f.getName()
                        + "' of app '"
                        + request.getAppName()
                        + "' can never be placed: "
                        + why);
              });
    }
  }

  /** Checks an app definition; throws INVALID_ARGUMENT naming the first problem. */
  public static void validate(CreateAppRequest request) {
    if (request.getAppName().isBlank()) {
      throw Statuses.invalid("app_name is empty");
    }
    if (request.getFunctionsCount() > 0 && request.getClasspathCount() == 0) {
      throw Statuses.invalid(
          "app '" + request.getAppName() + "': the classpath is empty; containers need one");
    }
    Bounds.check(
        "app '" + request.getAppName() + "': ",
        "functions",
        request.getFunctionsCount(),
        0,
        Bounds.MAX_FUNCTIONS);
    Bounds.check(
        "app '" + request.getAppName() + "': ",
        "callable_apps",
        request.getCallableAppsCount(),
        0,
        Bounds.MAX_CALLABLE_APPS);
    for (String callable : request.getCallableAppsList()) {
      if (!callable.matches("[A-Za-z0-9][A-Za-z0-9_\\-]{0,62}")) {
        throw Statuses.invalid(
            "app '"
                + request.getAppName()
                + "': callable_apps names '"
                + callable
                + "', which is"
                + " not an app name (1-63 of [A-Za-z0-9_-], starting with a letter or digit)");
      }
    }
    Set<String> names = new HashSet<>();
    for (FunctionDef f : request.getFunctionsList()) {
      String fn = "function '" + f.getName() + "' of app '" + request.getAppName() + "': ";
      if (f.getName().isBlank()) {
        throw Statuses.invalid("app '" + request.getAppName() + "' has a function with no name");
      }
      if (!names.add(f.getName())) {
        throw Statuses.invalid(
            "app '" + request.getAppName() + "' defines function '" + f.getName() + "' twice");
      }
      if (f.getClassName().isBlank() || f.getMethodName().isBlank()) {
        throw Statuses.invalid(fn + "class_name and method_name must be set");
      }
      Bounds.check(
          fn, "concurrent_inputs", f.getConcurrentInputs(), 0, Bounds.MAX_CONCURRENT_INPUTS);
      Bounds.check(fn, "min_containers", f.getMinContainers(), 0, Bounds.MAX_CONTAINERS);
      Bounds.check(fn, "max_containers", f.getMaxContainers(), 0, Bounds.MAX_CONTAINERS);
      Bounds.check(fn, "scaledown_window_ms", f.getScaledownWindowMs(), 0, Bounds.MAX_DURATION_MS);
      Bounds.check(fn, "timeout_ms", f.getTimeoutMs(), 0, Bounds.MAX_DURATION_MS);
      Bounds.check(fn, "startup_timeout_ms", f.getStartupTimeoutMs(), 0, Bounds.MAX_DURATION_MS);
      Bounds.check(fn, "target_inputs", f.getTargetInputs(), 0, Bounds.MAX_CONCURRENT_INPUTS);
      Bounds.check(fn, "buffer_containers", f.getBufferContainers(), 0, Bounds.MAX_CONTAINERS);
      validateResources(fn, f);
      if (f.getTargetInputs() > Math.max(1, f.getConcurrentInputs())) {
        throw Statuses.invalid(
            fn
                + "target_inputs ("
                + f.getTargetInputs()
                + ") is more than concurrent_inputs ("
                + Math.max(1, f.getConcurrentInputs())
                + ")");
      }
      if (f.getMaxContainers() > 0 && f.getMinContainers() > f.getMaxContainers()) {
        throw Statuses.invalid(
            fn
                + "min_containers ("
                + f.getMinContainers()
                + ") is more than max_containers ("
                + f.getMaxContainers()
                + ")");
      }
      RetryPolicy r = f.getRetries();
      Bounds.check(fn, "retries.max_retries", r.getMaxRetries(), 0, Bounds.MAX_RETRIES);
      Bounds.check(
          fn, "retries.initial_delay_ms", r.getInitialDelayMs(), 0, Bounds.MAX_RETRY_DELAY_MS);
      Bounds.check(fn, "retries.max_delay_ms", r.getMaxDelayMs(), 0, Bounds.MAX_RETRY_DELAY_MS);
      // 0 means the default coefficient.
      Bounds.check(
          fn,
          "retries.backoff_coefficient",
          r.getBackoffCoefficient(),
          0,
          Bounds.MAX_BACKOFF_COEFFICIENT);
      if (f.getGenerator() && r.getMaxRetries() > 0) {
        throw Statuses.invalid(fn + "retries are not supported for generators");
      }
    }
    ScheduleRunner.validate(request);
    WebGateway.validate(request);
  }

  private static void validateResources(String fn, FunctionDef f) {
    double cpu = f.getCpuRequest();
    double cpuLimit = f.getCpuLimit();
    Bounds.check(fn, "cpu_request", cpu, 0, Bounds.MAX_CPU);
    Bounds.check(fn, "cpu_limit", cpuLimit, 0, Bounds.MAX_CPU);
    if (cpuLimit > 0 && cpuLimit < cpu) {
      throw Statuses.invalid(
          fn + "cpu_limit (" + cpuLimit + ") is less than cpu_request (" + cpu + ")");
    }
    Bounds.check(fn, "memory_request_mib", f.getMemoryRequestMib(), 0, Bounds.MAX_MEMORY_MIB);
    Bounds.check(fn, "memory_limit_mib", f.getMemoryLimitMib(), 0, Bounds.MAX_MEMORY_MIB);
    Bounds.check(fn, "gpus (entries)", f.getGpusCount(), 0, Bounds.MAX_LIST_ENTRIES);
    Bounds.check(fn, "regions (entries)", f.getRegionsCount(), 0, Bounds.MAX_LIST_ENTRIES);
    Bounds.check(fn, "volumes (entries)", f.getVolumesCount(), 0, Bounds.MAX_LIST_ENTRIES);
    if (f.getMemoryLimitMib() > 0 && f.getMemoryLimitMib() < f.getMemoryRequestMib()) {
      throw Statuses.invalid(
          fn
              + "memory_limit_mib ("
              + f.getMemoryLimitMib()
              + ") is less than memory_request_mib ("
              + f.getMemoryRequestMib()
              + ")");
    }
    for (String g : f.getGpusList()) {
      if (!g.matches("[A-Za-z0-9][A-Za-z0-9\\-]*(:[1-8])?")) {
        throw Statuses.invalid(fn + "gpu '" + g + "' is not TYPE or TYPE:COUNT (COUNT 1..8)");
      }
    }
    for (String r : f.getRegionsList()) {
      if (!r.matches("[a-z0-9][a-z0-9\\-]*")) {
        throw Statuses.invalid(fn + "region '" + r + "' is not a name of [a-z0-9-]");
      }
    }
  }
}
