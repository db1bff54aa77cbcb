package com.example.greetings;

import dev.skiff.App;
import dev.skiff.Function1;

/**
 * A user's app: one function, {@code greet}, called in a container with {@code remote}. Run it
 * with {@code java -cp 'target/greetings-1.0.0.jar:target/lib/*' com.example.greetings.Greetings
 * NAME}, or with {@code skiff run --class com.example.greetings.Greetings -cp
 * target/greetings-1.0.0.jar NAME}; deploy it with {@code skiff deploy --class
 * com.example.greetings.Greetings -cp target/greetings-1.0.0.jar}.
 */
public final class Greetings {
  static final App app = App.named("greetings");

  static final Function1<String, String> greet = app.function(Greetings::greet);

  static String greet(String name) {
    System.out.println("greeting " + name); // the container's output, streamed to the caller
    return "Hello, " + name + ", from a container!";
  }

  /** Greets the first argument (default: World) in a container and prints the answer. */
  public static void main(String[] args) {
    String name = args.length > 0 ? args[0] : "World";
    try (var run = app.run()) {
      System.out.println(greet.remote(name));
    }
  }

  private Greetings() {}
}
