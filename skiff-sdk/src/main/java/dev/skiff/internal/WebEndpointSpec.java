package dev.skiff.internal;

import dev.skiff.proto.WebEndpointDef;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How one web endpoint is served. Defining an endpoint registers its method here, in the calling
 * program and, as the user's class initialises there too, in each container, where the worker looks
 * the method up to know that its inputs are HTTP requests. Immutable; the registry is thread-safe.
 *
 * @param method the HTTP method of the simple form (GET or POST)
 * @param label the last segment of the endpoint's URL
 * @param requiresAuth whether requests need a web token
 * @param raw whether the method takes the whole {@code WebRequest}
 * @param parameters the simple form's parameter names, in order
 * @param maxBodyBytes the largest request body taken
 * @param maxConcurrentRequests the most requests the gateway takes at once
 */
public record WebEndpointSpec(
    String method,
    String label,
    boolean requiresAuth,
    boolean raw,
    List<String> parameters,
    long maxBodyBytes,
    int maxConcurrentRequests) {
  private static final ConcurrentHashMap<Method, WebEndpointSpec> BY_METHOD =
      new ConcurrentHashMap<>();

  /** Copies the parameter list. */
  public WebEndpointSpec {
    parameters = List.copyOf(parameters);
  }

  /** Records that {@code method} serves an endpoint. */
  public static void register(Method method, WebEndpointSpec spec) {
    BY_METHOD.put(method, spec);
  }

  /** The endpoint that {@code method} serves, if it serves one. */
  public static Optional<WebEndpointSpec> of(Method method) {
    return Optional.ofNullable(BY_METHOD.get(method));
  }

  /** The wire form. */
  public WebEndpointDef toProto() {
    return WebEndpointDef.newBuilder()
        .setMethod(method)
        .setLabel(label)
        .setRequiresAuth(requiresAuth)
        .setRaw(raw)
        .addAllParameters(parameters)
        .setMaxBodyBytes(maxBodyBytes)
        .setMaxConcurrentRequests(maxConcurrentRequests)
        .build();
  }
}
