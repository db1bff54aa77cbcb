import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Secret;
import java.util.Map;

/**
 * Run by the CLI tests with {@code skiff run}: one function lists the named secret given as the
 * first argument, the other lists none. Each returns what it sees of the variable named by the
 * second argument, reversed, so that the test can check the exact value while the value itself is
 * never printed.
 */
public final class SecretProbe {
  static final App app = App.named("secret-probe");

  static String withSecret() {
    return seen();
  }

  static String withoutSecret() {
    return seen();
  }

  private static String seen() {
    String key = System.getenv("PROBE_KEY");
    String value = System.getenv(key);
    System.out.println("looking at variable " + key);
    return value == null ? "absent" : "reversed:" + new StringBuilder(value).reverse();
  }

  public static void main(String[] args) {
    String name = args[0];
    String key = args[1];
    Secret.Named secret =
        args.length > 2 ? Secret.fromName(name).requireKeys(args[2]) : Secret.fromName(name);
    Secret probeKey = Secret.fromMap(Map.of("PROBE_KEY", key));
    // The named secret comes later, so its value overrides this one.
    Secret earlier = Secret.fromMap(Map.of("PROBE_KEY", key, key, "from-an-earlier-map"));
    Function0<String> with = app.function(SecretProbe::withSecret, f -> f.secrets(earlier, secret));
    Function0<String> without = app.function(SecretProbe::withoutSecret, f -> f.secrets(probeKey));
    try (var run = app.run()) {
      System.out.println("with: " + with.remote());
      System.out.println("without: " + without.remote());
    }
  }
}
