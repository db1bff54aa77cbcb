package dev.skiff.internal;

import dev.skiff.Secret;
import dev.skiff.proto.EnvVars;
import dev.skiff.proto.NamedSecret;
import dev.skiff.proto.SecretLayer;
import dev.skiff.proto.SecretLayers;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Turns a function's {@link Secret}s into what the control plane needs to give its containers their
 * environment variables when the app starts: later secrets override earlier ones. Values are never
 * logged or put in messages.
 */
public final class SecretValues {
  private SecretValues() {}

  /**
   * The function's secrets as the control plane takes them, in order: maps and dotenv files are
   * read here, named secrets are resolved by the control plane from its secret store.
   */
  public static SecretLayers layers(List<Secret> secrets, String function) {
    SecretLayers.Builder layers = SecretLayers.newBuilder();
    for (Secret secret : secrets) {
      SecretLayer layer =
          switch (secret) {
            case Secret.Named n ->
                SecretLayer.newBuilder()
                    .setNamed(
                        NamedSecret.newBuilder()
                            .setName(n.name())
                            .addAllRequiredKeys(n.requiredKeys()))
                    .build();
            case Secret.FromMap m -> inline(m.values());
            case Secret.FromDotenv d -> inline(readDotenv(d.path(), function));
          };
      layers.addLayers(layer);
    }
    return layers.build();
  }

  private static SecretLayer inline(Map<String, String> values) {
    return SecretLayer.newBuilder().setInline(EnvVars.newBuilder().putAllVars(values)).build();
  }

  static Map<String, String> readDotenv(Path path, String function) {
    return Dotenv.read(path, "function '" + function + "': secrets: ");
  }
}
