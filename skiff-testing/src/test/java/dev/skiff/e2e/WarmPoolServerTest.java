package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.DeployedApp;
import dev.skiff.RemoteFunction;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppStatus;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.ContainerState;
import dev.skiff.proto.FunctionStatus;
import dev.skiff.proto.StopAppRequest;
import dev.skiff.testing.ServerProcess;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm pool of a real server across redeploys with a changed classpath: the container JVMs that
 * run as children of the server are the ones {@code skiff container list} shows, and none is left
 * once the app stops.
 */
@Tag("e2e")
class WarmPoolServerTest {
  private static final String CONTAINER_PROPERTY = "-Dskiff.container=";

  private static ServerProcess server;
  private static ClientConfig config;

  @BeforeAll
  static void startServer() {
    server = ServerProcess.start();
    config = server.clientConfig();
    server.useInThisJvm();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void redeploysWithChangedClasspathsLeaveOnlyListedContainersAndAppStopLeavesNone(
      @TempDir Path dir) throws Exception {
    String classpath = System.getProperty("java.class.path");
    DeployedApp deployed = null;
    try {
      for (int v = 1; v <= 3; v++) {
        // A classpath entry of its own per version: each deploy runs on a new classpath.
        Path extra = Files.createDirectories(dir.resolve("v" + v));
        Files.writeString(extra.resolve("pool-version.txt"), "v" + v);
        System.setProperty("java.class.path", classpath + File.pathSeparator + extra);
        deployed = PoolFns.app.deploy();
        RemoteFunction<Integer> echo = RemoteFunction.fromName("pool", "echo", Integer.class);
        assertThat(echo.remote(v)).isEqualTo(v);
      }
    } finally {
      System.setProperty("java.class.path", classpath);
    }
    String appId = deployed.appId();
    try (SkiffClient c = client()) {
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                AppStatus status = status(c, appId);
                int listed = listed(status);
                assertThat(containerProcesses())
                    .as("container JVMs of the server; listed: %s", status)
                    .isEqualTo(listed);
                // The function's container and at most one warm container for its classpath.
                assertThat(listed).isBetween(1, 2);
                assertThat(status.getWarmContainersList())
                    .allSatisfy(
                        w -> assertThat(w.getState()).isEqualTo(ContainerState.CONTAINER_WARM));
              });
      c.blocking().stopApp(StopAppRequest.newBuilder().setAppId(appId).build());
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(containerProcesses()).isZero());
  }

  private static SkiffClient client() {
    return SkiffClient.connect(config.server(), config.token(), config.trust());
  }

  private static AppStatus status(SkiffClient c, String appId) {
    return c.blocking().getAppStatus(AppStatusRequest.newBuilder().setAppId(appId).build());
  }

  /**
   * The containers {@code skiff container list} shows for the app: its functions' and warm ones.
   */
  private static int listed(AppStatus status) {
    return status.getFunctionsList().stream().mapToInt(FunctionStatus::getContainersCount).sum()
        + status.getWarmContainersCount();
  }

  /**
   * The container JVMs running as descendants of the server: processes whose program is {@code
   * java} and whose command line names a container ({@code -Dskiff.container=}), read from {@code
   * /proc} (the sandbox around a container has the same arguments but is not {@code java}).
   */
  private static long containerProcesses() {
    return ProcessHandle.of(server.pid())
        .orElseThrow()
        .descendants()
        .filter(ProcessHandle::isAlive)
        .filter(p -> isContainerJvm(commandLine(p.pid())))
        .count();
  }

  private static boolean isContainerJvm(List<String> argv) {
    return !argv.isEmpty()
        && Path.of(argv.get(0)).getFileName().toString().equals("java")
        && argv.stream().anyMatch(a -> a.startsWith(CONTAINER_PROPERTY));
  }

  private static List<String> commandLine(long pid) {
    try {
      String raw = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
      return raw.isEmpty() ? List.of() : List.of(raw.split("\u0000"));
    } catch (IOException e) {
      return List.of(); // it exited
    }
  }
}
