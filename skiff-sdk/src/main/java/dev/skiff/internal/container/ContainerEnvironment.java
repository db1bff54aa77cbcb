package dev.skiff.internal.container;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The environment contract between the control plane and the container entrypoint ({@link
 * ContainerMain}): every variable either side reads or writes is named here, the control plane
 * writes the map with {@link #of(Identity, Function)} or {@link #pooled(Identity)}, and the
 * container parses it with {@link #identity(Map)} and {@link #function(Map)}.
 *
 * <p>A container started for a function carries its {@link Identity} and its {@link Function}; a
 * warm container ({@value #POOL}{@code =true}) only its identity, and learns its function from a
 * {@code Bind} message. A backend may add {@value #PARENT_PID} (a plain child process watches its
 * parent) and {@value #NETWORK_INTERFACE} (the sandbox's network, which the container waits for).
 */
public final class ContainerEnvironment {
  /** What the container dials to reach its control plane, e.g. {@code unix:/path}. */
  public static final String SERVER = "SKIFF_SERVER";

  /**
   * The control plane's TCP listener for containers, {@code host:port}, which a pod on another
   * machine dials; when set (not empty) it overrides {@value #SERVER}.
   */
  public static final String CONTROL_PLANE = "SKIFF_CONTROL_PLANE";

  /**
   * The PEM certificate of the control plane, pinned by a container that dials it over TCP; empty:
   * plaintext, which only a loopback address may use.
   */
  public static final String CONTROL_PLANE_CERT = "SKIFF_CONTROL_PLANE_CERT";

  /** The container's token, which authenticates it to the control plane. */
  public static final String TOKEN = "SKIFF_TOKEN";

  /** The container's short id. */
  public static final String CONTAINER_ID = "SKIFF_CONTAINER_ID";

  /** {@code true} for a warm container, started before any function needs it. */
  public static final String POOL = "SKIFF_POOL";

  /** The id of the app whose function the container serves. */
  public static final String APP_ID = "SKIFF_APP_ID";

  /** The name of that app. */
  public static final String APP_NAME = "SKIFF_APP_NAME";

  /** The function's name within its app. */
  public static final String FUNCTION_NAME = "SKIFF_FUNCTION_NAME";

  /** The class that defines the function. */
  public static final String FUNCTION_CLASS = "SKIFF_FUNCTION_CLASS";

  /** The function's method name in that class. */
  public static final String FUNCTION_METHOD = "SKIFF_FUNCTION_METHOD";

  /** The method's JVM descriptor. */
  public static final String FUNCTION_DESCRIPTOR = "SKIFF_FUNCTION_DESCRIPTOR";

  /** {@code true} when the function is a generator. */
  public static final String GENERATOR = "SKIFF_GENERATOR";

  /** How many inputs the container serves at once (default 1). */
  public static final String CONCURRENT_INPUTS = "SKIFF_CONCURRENT_INPUTS";

  /** The process id of the process that started the container, which it does not outlive. */
  public static final String PARENT_PID = "SKIFF_PARENT_PID";

  /** The network interface the container waits for before user code runs. */
  public static final String NETWORK_INTERFACE = "SKIFF_NETWORK_INTERFACE";

  /** The type of the container's GPUs, when it has some. */
  public static final String GPU_TYPE = "SKIFF_GPU_TYPE";

  /** The GPU devices the container may use, comma-separated; empty hides every device. */
  public static final String CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES";

  private ContainerEnvironment() {}

  /**
   * Who a container is and where it reaches its control plane.
   *
   * @param server what it dials ({@value #CONTROL_PLANE} when set, else {@value #SERVER})
   * @param token its token ({@value #TOKEN})
   * @param containerId its short id ({@value #CONTAINER_ID})
   */
  public record Identity(String server, String token, String containerId) {
    /** Rejects nulls. */
    public Identity {
      Objects.requireNonNull(server, "server");
      Objects.requireNonNull(token, "token");
      Objects.requireNonNull(containerId, "containerId");
    }
  }

  /**
   * The function a container serves.
   *
   * @param appId its app's id
   * @param appName its app's name
   * @param functionName its name within the app
   * @param className the class that defines it
   * @param methodName its method in that class
   * @param descriptor the method's JVM descriptor
   * @param generator whether it is a generator
   * @param concurrentInputs how many inputs a container serves at once, at least 1
   */
  public record Function(
      String appId,
      String appName,
      String functionName,
      String className,
      String methodName,
      String descriptor,
      boolean generator,
      int concurrentInputs) {}

  /** A variable the contract requires is missing: the process was not started by Skiff. */
  public static final class MissingVariableException extends RuntimeException {
    private final String variable;

    MissingVariableException(String variable) {
      super(
          "container started without "
              + variable
              + "; it must be started by the Skiff control plane");
      this.variable = variable;
    }

    /** The missing variable's name. */
    public String variable() {
      return variable;
    }
  }

  // ------------------------------------------------------------------ written by the server

  /** The environment of a container started for {@code function}. */
  public static Map<String, String> of(Identity identity, Function function) {
    Map<String, String> env = identityVariables(identity);
    env.put(APP_ID, function.appId());
    env.put(APP_NAME, function.appName());
    env.put(FUNCTION_NAME, function.functionName());
    env.put(FUNCTION_CLASS, function.className());
    env.put(FUNCTION_METHOD, function.methodName());
    env.put(FUNCTION_DESCRIPTOR, function.descriptor());
    env.put(GENERATOR, Boolean.toString(function.generator()));
    env.put(CONCURRENT_INPUTS, Integer.toString(function.concurrentInputs()));
    return env;
  }

  /** The environment of a warm container, which learns its function later. */
  public static Map<String, String> pooled(Identity identity) {
    Map<String, String> env = identityVariables(identity);
    env.put(POOL, "true");
    return env;
  }

  /**
   * The GPU variables of a container: {@value #CUDA_VISIBLE_DEVICES} lists {@code indexes} and
   * {@value #GPU_TYPE} names their type; without devices on a node that has some, the list is
   * empty, hiding them all; on a node without GPUs, nothing.
   */
  public static Map<String, String> gpus(String type, List<Integer> indexes, boolean nodeHasGpus) {
    Map<String, String> env = new LinkedHashMap<>();
    if (!indexes.isEmpty()) {
      env.put(
          CUDA_VISIBLE_DEVICES, String.join(",", indexes.stream().map(String::valueOf).toList()));
      env.put(GPU_TYPE, type);
    } else if (nodeHasGpus) {
      env.put(CUDA_VISIBLE_DEVICES, "");
    }
    return env;
  }

  private static Map<String, String> identityVariables(Identity identity) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(SERVER, identity.server());
    env.put(TOKEN, identity.token());
    env.put(CONTAINER_ID, identity.containerId());
    return env;
  }

  // ------------------------------------------------------------------ read by the container

  /**
   * The container's identity.
   *
   * @throws MissingVariableException naming the first variable that is missing
   */
  public static Identity identity(Map<String, String> env) {
    String tcp = env.get(CONTROL_PLANE);
    String server = tcp != null && !tcp.isBlank() ? tcp.strip() : require(env, SERVER);
    return new Identity(server, require(env, TOKEN), require(env, CONTAINER_ID));
  }

  /**
   * The PEM certificate the container pins for its control plane ({@value #CONTROL_PLANE_CERT}), if
   * set and not empty.
   */
  public static Optional<String> controlPlaneCertificate(Map<String, String> env) {
    return Optional.ofNullable(env.get(CONTROL_PLANE_CERT)).filter(s -> !s.isBlank());
  }

  /** Whether the container is a warm one, which learns its function from a {@code Bind}. */
  public static boolean isPooled(Map<String, String> env) {
    return Boolean.parseBoolean(env.get(POOL));
  }

  /**
   * The function a container started for it serves.
   *
   * @throws MissingVariableException naming the first variable that is missing
   */
  public static Function function(Map<String, String> env) {
    return new Function(
        require(env, APP_ID),
        require(env, APP_NAME),
        require(env, FUNCTION_NAME),
        require(env, FUNCTION_CLASS),
        require(env, FUNCTION_METHOD),
        require(env, FUNCTION_DESCRIPTOR),
        Boolean.parseBoolean(require(env, GENERATOR)),
        Integer.parseInt(env.getOrDefault(CONCURRENT_INPUTS, "1")));
  }

  /** The process the container must not outlive, if its backend named one. */
  public static OptionalLong parentPid(Map<String, String> env) {
    String parent = env.get(PARENT_PID);
    return parent == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(parent));
  }

  /** The network interface to wait for, if any. */
  public static Optional<String> networkInterface(Map<String, String> env) {
    return Optional.ofNullable(env.get(NETWORK_INTERFACE)).filter(s -> !s.isEmpty());
  }

  private static String require(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null) {
      throw new MissingVariableException(name);
    }
    return value;
  }
}
