package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.App;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.RemoteFunction;
import dev.skiff.RemoteFunctionException;
import dev.skiff.testing.ServerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A container may call another deployed app's functions only where its own app says so with {@code
 * App.canCall}: the declared caller reaches billing, a rogue app with the same code is refused with
 * the exact error its container gets.
 */
@Tag("e2e")
class CrossAppCallsTest {
  private static ServerProcess server;

  @BeforeAll
  static void deployThreeApps() {
    server = ServerProcess.start();
    server.useInThisJvm();
    CrossAppFns.billing.deploy();
    CrossAppFns.orders.deploy();
    CrossAppFns.rogue.deploy();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void anAppThatNamesAnotherWithCanCallCallsItsFunctions() {
    assertThat(RemoteFunction.fromName("orders", "order", Integer.class).remote(3)).isEqualTo(300);
  }

  @Test
  void largePayloadsOfACallToAnotherAppTravelBothWays() {
    assertThat(RemoteFunction.fromName("orders", "orderLarge", Integer.class).remote(5))
        .isEqualTo(5 * 1024 * 1024);
  }

  @Test
  void anAppThatDoesNotNameAnotherIsRefusedWithTheReason() {
    assertThatThrownBy(() -> RemoteFunction.fromName("rogue", "steal", Integer.class).remote(3))
        .isInstanceOf(RemoteFunctionException.class)
        .hasMessageContaining("refused this client: a container of app ap-")
        .hasMessageContaining(" ('billing'); a container token may only run its own inputs")
        .hasMessageContaining(
            "or the functions of the deployed apps its app names with App.canCall");
  }

  @Test
  void canCallRefusesWhatIsNotAnAppName() {
    assertThatThrownBy(() -> App.named("x").canCall("no spaces"))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessage(
            "app 'x': canCall(\"no spaces\") names no allowed app name; use 1-63 of [A-Za-z0-9_-],"
                + " starting with a letter or digit");
  }
}
