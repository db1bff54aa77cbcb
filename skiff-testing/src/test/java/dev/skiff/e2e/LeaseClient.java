package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.Function1;
import dev.skiff.WebEndpoint;

/**
 * A client program that the lease tests run as a JVM of its own, to be killed with SIGKILL during
 * {@code app.run()}: it runs app "leased" (a function and a web endpoint, each keeping one
 * container up), calls the function once so that a container is surely up, prints {@code up APP_ID
 * URL}, and then waits until it is killed.
 */
public final class LeaseClient {
  static final App app = App.named("leased");

  static final Function1<Integer, Integer> twice =
      app.function(LeaseClient::twice, f -> f.minContainers(1));

  static final WebEndpoint hello =
      app.webEndpoint(LeaseClient::hello, w -> w.function(f -> f.minContainers(1)));

  static int twice(int x) {
    return 2 * x;
  }

  static String hello(String name) {
    return "Hello, " + name + "!";
  }

  public static void main(String[] args) throws InterruptedException {
    AppRun run = app.run();
    System.out.println("twice=" + twice.remote(21));
    System.out.println("up " + run.appId() + " " + hello.webUrl());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }

  private LeaseClient() {}
}
