import dev.skiff.App;
import dev.skiff.WebEndpoint;

/**
 * Deployed by the web token CLI tests with {@code skiff deploy}: one web endpoint that requires a
 * web token.
 */
public final class GuardedGreeter {
  static final App app = App.named("guarded");

  static final WebEndpoint hello = app.webEndpoint(GuardedGreeter::hello, w -> w.requiresAuth());

  static String hello(String name) {
    return "Hello, " + name + "!";
  }

  private GuardedGreeter() {}
}
