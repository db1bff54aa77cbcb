import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Function1;
import dev.skiff.Every;
import dev.skiff.Secret;

/**
 * Deployed by the CLI tests with {@code skiff deploy}: a function called with {@code skiff call},
 * one that reads a named secret, and a one-second schedule whose runs {@code skiff app history}
 * shows.
 */
public final class Greeter {
  static final App app = App.named("greeter");

  static final Function1<String, String> greet = app.function(Greeter::greet);

  static final Function0<String> token =
      app.function(Greeter::token, f -> f.secrets(Secret.fromName("greeter-secret").requireKeys("TOKEN")));

  static final Function0<String> tick =
      app.function(Greeter::tick, f -> f.schedule(Every.seconds(1)));

  static String greet(String name) {
    System.out.println("greeting " + name);
    return "Hello, " + name + "!";
  }

  static String token() {
    String v = System.getenv("TOKEN");
    return v == null ? "absent" : "reversed:" + new StringBuilder(v).reverse();
  }

  static String tick() {
    return "tick";
  }

  private Greeter() {}
}
