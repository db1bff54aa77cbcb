package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function1;
import dev.skiff.RemoteFunction;
import java.util.Arrays;

/** Three deployed apps for {@link CrossAppCallsTest}: a callee, a caller it allows, and a rogue. */
public final class CrossAppFns {
  static final App billing = App.named("billing");
  static final Function1<Integer, Integer> charge = billing.function(CrossAppFns::charge);
  static final Function1<byte[], byte[]> echo = billing.function(CrossAppFns::echo);

  static final App orders = App.named("orders").canCall("billing");
  static final Function1<Integer, Integer> order = orders.function(CrossAppFns::order);
  static final Function1<Integer, Integer> orderLarge = orders.function(CrossAppFns::orderLarge);

  static final App rogue = App.named("rogue");
  static final Function1<Integer, Integer> steal = rogue.function(CrossAppFns::steal);

  private CrossAppFns() {}

  static int charge(int cents) {
    return cents * 100;
  }

  static byte[] echo(byte[] bytes) {
    return bytes;
  }

  /**
   * Sends billing {@code mib} MiB and gets them back: payloads over 4 MiB travel as blobs, put for
   * the callee and read from it.
   */
  static int orderLarge(int mib) {
    byte[] sent = new byte[mib * 1024 * 1024];
    Arrays.fill(sent, (byte) 7);
    byte[] back = RemoteFunction.fromName("billing", "echo", byte[].class).remote((Object) sent);
    return Arrays.equals(sent, back) ? back.length : -1;
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
