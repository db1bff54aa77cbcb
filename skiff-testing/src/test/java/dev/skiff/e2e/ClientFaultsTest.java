package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.AppRun;
import dev.skiff.FunctionCall;
import dev.skiff.RemoteFunction;
import dev.skiff.RunOptions;
import dev.skiff.SkiffException;
import dev.skiff.testing.ServerProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a client sees when its server goes away in the middle of its calls: killed (the connection
 * closes), paused (the connection stays open and nothing answers: only keepalives can tell), and
 * restarted (a durable call's handle still gets its result).
 */
@Tag("e2e")
class ClientFaultsTest {
  /** Longer than the client's keepalive needs to notice a silent server, well short of forever. */
  private static final Duration NOTICED = Duration.ofSeconds(60);

  private static ServerProcess server;

  @BeforeAll
  static void startServer() {
    server = ServerProcess.start();
    server.useInThisJvm();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @AfterEach
  void serverRunsForTheNextTest() throws Exception {
    signal("CONT");
    if (ProcessHandle.of(server.pid()).filter(ProcessHandle::isAlive).isEmpty()) {
      server.restart();
    }
  }

  private static void signal(String name) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + name, Long.toString(server.pid()))
            .redirectErrorStream(true)
            .start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  private static <T> Throwable failureOf(CompletableFuture<T> call) {
    try {
      call.get(NOTICED.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("the call neither returned nor failed within " + NOTICED, e);
    }
    throw new AssertionError("the call returned although its server was gone");
  }

  @Test
  void aRemoteCallFailsPromptlyWhenItsServerIsPaused() throws Exception {
    try (AppRun run = ClientFaultFns.app.run(RunOptions.quiet())) {
      ClientFaultFns.slow.remote(1L); // a container is up
      CompletableFuture<Long> call =
          CompletableFuture.supplyAsync(() -> ClientFaultFns.slow.remote(600_000L));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> run.status().getFirst().runningInputs() == 1);
      signal("STOP");

      assertThat(failureOf(call))
          .isInstanceOf(SkiffException.class)
          .hasMessageContaining(server.target());
    }
  }

  private static RemoteFunction<Long> deployed() {
    ClientFaultFns.app.deploy();
    return RemoteFunction.fromName("client-faults", "sleepThenReturn", Long.class);
  }

  /**
   * One kill -9 for three promises (a restart takes seconds): the map in flight fails, a new call
   * fails at once naming the server, and a durable call's handle gets its result once the server is
   * back.
   */
  @Test
  void aKilledServerFailsCallsInFlightAndNewOnesAndADurableHandleOutlivesIt() {
    RemoteFunction<Long> slow = deployed();
    FunctionCall<Long> durable = slow.spawn(2_000L);
    CompletableFuture<List<Long>> map =
        CompletableFuture.supplyAsync(() -> slow.map(List.of(60_000L, 60_000L, 60_000L)).toList());
    // A container is running the map's inputs.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ProcessHandle.of(server.pid()).orElseThrow().descendants().count() > 0);
    server.kill9();

    assertThat(failureOf(map)).isInstanceOf(SkiffException.class);
    assertThatThrownBy(() -> slow.remote(1L))
        .isInstanceOf(SkiffException.class)
        .hasMessageContaining(server.target());

    server.restart();
    assertThat(durable.get(Duration.ofMinutes(2))).isEqualTo(2_000L);
  }
}
