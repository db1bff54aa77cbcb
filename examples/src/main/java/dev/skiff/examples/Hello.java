package dev.skiff.examples;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.FunctionCall;
import java.util.List;

/**
 * The guide's first example: define {@code hello}, then call it in a container with {@code remote},
 * in this process with {@code local}, over several inputs with {@code map}, and in the background
 * with {@code spawn}.
 */
public final class Hello {
  static final App app = App.named("hello");

  static final Function1<String, String> hello = app.function(Hello::hello);

  static String hello(String name) {
    // The container's own output: streamed to the caller, and kept (see `skiff app logs hello`).
    System.err.println("saying hello to " + name);
    return "Hello, " + name + "!";
  }

  public static void main(String[] args) {
    try (var run = app.run()) {
      System.out.println(hello.remote("World")); // in a container
      System.out.println(hello.local("World")); // in this process

      List<String> names = List.of("Alice", "Bob", "Charlie");
      System.out.println(hello.map(names).toList()); // in input order

      FunctionCall<String> call = hello.spawn("World"); // fire and forget
      System.out.println("spawned " + call.id() + ": " + call.get());
    }
  }

  private Hello() {}
}
