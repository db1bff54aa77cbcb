package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;

/** The app that {@link ClientFaultsTest} runs and deploys: a function that takes its time. */
public final class ClientFaultFns {
  private ClientFaultFns() {}

  static final App app = App.named("client-faults");

  static final Function1<Long, Long> slow = app.function(ClientFaultFns::sleepThenReturn);

  static Long sleepThenReturn(Long millis) throws InterruptedException {
    Thread.sleep(millis);
    return millis;
  }
}
