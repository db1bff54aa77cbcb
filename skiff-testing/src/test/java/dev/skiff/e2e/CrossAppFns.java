package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.RemoteFunction;

/** Three deployed apps for {@link CrossAppCallsTest}: a callee, a caller it allows, and a rogue. */
public final class CrossAppFns {
  static final App billing = App.named("billing");
  static final Function1<Integer, Integer> charge = billing.function(CrossAppFns::charge);

  static final App orders = App.named("orders").canCall("billing");
  static final Function1<Integer, Integer> order = orders.function(CrossAppFns::order);

  static final App rogue = App.named("rogue");
  static final Function1<Integer, Integer> steal = rogue.function(CrossAppFns::steal);

  private CrossAppFns() {}

  static int charge(int cents) {
    return cents * 100;
  }

  static int order(int cents) {
    return callBilling(cents);
  }

  static int steal(int cents) {
    return callBilling(cents);
  }

  /** Calls billing's {@code charge} from inside a container, as a deployed app would. */
  static int callBilling(int cents) {
    return RemoteFunction.fromName("billing", "charge", Integer.class).remote(cents);
  }
}
