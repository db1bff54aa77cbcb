package dev.skiff.examples;

import dev.skiff.App;
import dev.skiff.Function1;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The guide's async example. A function that returns a {@link CompletionStage} is awaited in the
 * container, and {@code remoteAsync} (the guide's {@code .remote.aio}) lets the caller go on while
 * calls run.
 */
public final class AsyncHello {
  static final App app = App.named("async-hello");

  static final Function1<String, String> asyncHello = app.asyncFunction(AsyncHello::asyncHello);

  static CompletionStage<String> asyncHello(String name) {
    return CompletableFuture.supplyAsync(
        () -> "Hello, " + name + "!",
        CompletableFuture.delayedExecutor(Duration.ofSeconds(1).toMillis(), TimeUnit.MILLISECONDS));
  }

  public static void main(String[] args) {
    try (var run = app.run()) {
      CompletableFuture<String> world = asyncHello.remoteAsync("World");
      CompletableFuture<String> moon = asyncHello.remoteAsync("Moon");
      System.out.println(world.join());
      System.out.println(moon.join());
    }
  }

  private AsyncHello() {}
}
