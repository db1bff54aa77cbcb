package dev.skiff.server.secrets;

import dev.skiff.InvalidConfigurationException;
import dev.skiff.SkiffException;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.EnvVars;
import dev.skiff.proto.SecretLayer;
import dev.skiff.proto.SecretLayers;
import dev.skiff.server.common.Statuses;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Works out the environment variables each function's containers get from its secrets when an app
 * is created: the request's plain {@code secret_env} first, then its {@code secret_layers} in order
 * (later ones override earlier ones), named secrets read from the {@link SecretStore}. Everything
 * is checked before anything is applied: a missing secret or required key fails the whole request,
 * naming the secret, the key and the function, so that no container starts. Error messages name
 * secrets and keys, never values. Stateless and thread-safe.
 */
public final class SecretEnvironments {
  private SecretEnvironments() {}

  /**
   * The environment of each function that has secrets, by function name.
   *
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT for a key that is not allowed or an
   *     unknown function, NOT_FOUND for a missing secret or required key, FAILED_PRECONDITION when
   *     the store cannot be read
   */
  public static Map<String, Map<String, String>> resolve(
      CreateAppRequest request, SecretStore store) {
    Set<String> functions = new HashSet<>();
    request.getFunctionsList().forEach(f -> functions.add(f.getName()));
    Map<String, Map<String, String>> out = new HashMap<>();
    Map<String, Map<String, String>> named = new HashMap<>(); // each stored secret read once
    request
        .getSecretEnvMap()
        .forEach(
            (function, vars) -> {
              checkFunction(functions, function);
              out.computeIfAbsent(function, f -> new LinkedHashMap<>())
                  .putAll(checked(vars, function));
            });
    for (Map.Entry<String, SecretLayers> e : request.getSecretLayersMap().entrySet()) {
      String function = e.getKey();
      checkFunction(functions, function);
      Map<String, String> env = out.computeIfAbsent(function, f -> new LinkedHashMap<>());
      for (SecretLayer layer : e.getValue().getLayersList()) {
        switch (layer.getSourceCase()) {
          case INLINE -> env.putAll(checked(layer.getInline(), function));
          case NAMED -> {
            String name = layer.getNamed().getName();
            Map<String, String> values =
                named.computeIfAbsent(name, n -> read(store, n, function, request.getAppName()));
            for (String key : layer.getNamed().getRequiredKeysList()) {
              if (!values.containsKey(key)) {
                throw Statuses.notFound(
                    "secret '"
                        + name
                        + "' has no key '"
                        + key
                        + "', which function '"
                        + function
                        + "' of app '"
                        + request.getAppName()
                        + "' requires; it has "
                        + values.keySet().stream().sorted().toList());
              }
            }
            env.putAll(values);
          }
          case SOURCE_NOT_SET ->
              throw Statuses.invalid("a secret of function '" + function + "' has no source");
        }
      }
    }
    out.values().removeIf(Map::isEmpty);
    return out;
  }

  private static Map<String, String> read(
      SecretStore store, String name, String function, String app) {
    Optional<Map<String, String>> values;
    try {
      values = store.get(name);
    } catch (InvalidConfigurationException e) {
      throw Statuses.invalid(e.getMessage());
    } catch (SkiffException e) {
      throw Statuses.failedPrecondition(e.getMessage());
    }
    return values.orElseThrow(
        () ->
            Statuses.notFound(
                "secret '"
                    + name
                    + "' (used by function '"
                    + function
                    + "' of app '"
                    + app
                    + "') not found in the secret store "
                    + store.directory()
                    + "; create it with: skiff secret create "
                    + name
                    + " KEY=VALUE ..."));
  }

  private static void checkFunction(Set<String> functions, String function) {
    if (!functions.contains(function)) {
      throw Statuses.invalid("secrets were given for unknown function '" + function + "'");
    }
  }

  private static Map<String, String> checked(EnvVars vars, String function) {
    for (String key : vars.getVarsMap().keySet()) {
      if (!key.matches("[A-Za-z_][A-Za-z0-9_]*") || key.startsWith("SKIFF_")) {
        throw Statuses.invalid(
            "secret key '"
                + key
                + "' of function '"
                + function
                + "' is not allowed; use [A-Za-z_][A-Za-z0-9_]* not starting with SKIFF_");
      }
    }
    return vars.getVarsMap();
  }
}
