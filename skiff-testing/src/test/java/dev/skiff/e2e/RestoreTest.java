package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.FunctionCall;
import dev.skiff.RemoteFunction;
import dev.skiff.internal.ClientConfig;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.GetResultRequest;
import dev.skiff.proto.GetResultResponse;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.UpdateAutoscalerRequest;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.testing.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A deployment that cannot be restored after a restart does not give up its pending durable calls
 * (gap 7 of issue 16): they wait, visibly, and run once the cause is fixed; a stored jar damaged on
 * disk is found by its hash and uploaded again by the next deploy; an image with a file truncated
 * on disk is found at restore and built again by the next deploy, never used broken; the autoscaler
 * settings that UpdateAutoscaler gave a deployed function come back with it, until a redeploy.
 */
@Tag("e2e")
class RestoreTest {
  @Test
  void aPendingCallWaitsForADeletedSecretAndRunsOnceItIsBack() {
    try (ServerProcess server = ServerProcess.start()) {
      server.useInThisJvm();
      SecretStore secrets =
          SecretStore.open(
              server.dataDir(), server.home().resolve("secret.key"), Clock.systemUTC());
      secrets.put(RestoreFns.SECRET, Map.of("TOKEN", "t-1"));
      RestoreFns.withSecret.deploy();
      FunctionCall<String> call =
          RemoteFunction.fromName("restore-secret-app", "token", String.class).spawn(3000);
      server.kill9(); // the call is stored, and has not finished
      secrets.delete(RestoreFns.SECRET);

      server.restart();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> server.output().contains("'restore-secret-app' could not be restored"));
      try (SkiffClient c = client(server)) {
        assertThat(result(c, call.id()).getDone())
            .as("the pending call is still pending")
            .isFalse();
        AppSummary app =
            c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList().stream()
                .filter(a -> a.getAppName().equals("restore-secret-app"))
                .findFirst()
                .orElseThrow();
        assertThat(app.getState()).isEqualTo(AppState.APP_NOT_RESTORED);
        assertThat(app.getProblem()).contains("secret '" + RestoreFns.SECRET + "'");
      }

      secrets.put(RestoreFns.SECRET, Map.of("TOKEN", "t-2"));
      server.stop();
      server.restart();
      assertThat(FunctionCall.<String>fromId(call.id()).get(Duration.ofSeconds(60)))
          .isEqualTo("t-2");
    }
  }

  @Test
  void anAutoscalerOverrideOfADeployedFunctionOutlivesAKillAndARedeployResetsIt() {
    try (ServerProcess server = ServerProcess.start()) {
      server.useInThisJvm();
      RestoreFns.plain.deploy();
      try (SkiffClient c = client(server)) {
        AutoscalerSettings declared = autoscaler(c, "restore-jars-app", "square");
        AutoscalerSettings override =
            declared.toBuilder().setMinContainers(1).setMaxContainers(5).build();
        c.blocking()
            .updateAutoscaler(
                UpdateAutoscalerRequest.newBuilder()
                    .setFunction(
                        FunctionRef.newBuilder()
                            .setAppName("restore-jars-app")
                            .setFunctionName("square"))
                    .setSettings(override)
                    .build());
        server.kill9();

        server.restart();
        try (SkiffClient after = client(server)) {
          await()
              .atMost(Duration.ofSeconds(30))
              .untilAsserted(
                  () ->
                      assertThat(autoscaler(after, "restore-jars-app", "square"))
                          .isEqualTo(override));
          RestoreFns.plain.deploy(); // a new version starts from its declared settings
          assertThat(autoscaler(after, "restore-jars-app", "square")).isEqualTo(declared);
        }
      }
    }
  }

  @Test
  void aTruncatedStoredJarIsUploadedAgainByTheNextDeploy() throws IOException {
    try (ServerProcess server = ServerProcess.start()) {
      server.useInThisJvm();
      RestoreFns.plain.deploy();
      RemoteFunction<Integer> square =
          RemoteFunction.fromName("restore-jars-app", "square", Integer.class);
      assertThat(square.remote(7)).isEqualTo(49);
      server.stop();
      List<Path> jars = storedJars(server);
      assertThat(jars).isNotEmpty();
      for (Path jar : jars) {
        try (FileChannel ch = FileChannel.open(jar, StandardOpenOption.WRITE)) {
          ch.truncate(ch.size() / 2);
        }
      }

      server.restart();
      RestoreFns.plain.deploy();
      for (Path jar : jars) {
        assertThat(sha256(jar)).as("the content of %s", jar).isEqualTo(name(jar));
      }
      assertThat(square.remote(8)).isEqualTo(64);
    }
  }

  @Test
  void anImageTruncatedOnDiskIsFoundAtRestartAndRebuiltByTheNextDeploy() throws IOException {
    try (ServerProcess server = ServerProcess.start()) {
      server.useInThisJvm();
      RestoreFns.withImage.deploy();
      RemoteFunction<String> built =
          RemoteFunction.fromName("restore-image-app", "built", String.class);
      assertThat(built.remote(0)).isEqualTo("written by the build");
      server.stop();
      Path out;
      try (Stream<Path> files = Files.walk(server.dataDir().resolve("images"))) {
        out = files.filter(f -> f.endsWith("files/out.txt")).findFirst().orElseThrow();
      }
      // What a crash of the machine leaves of a file whose data never reached the disk.
      Files.write(out, new byte[0]);

      server.restart();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  server.output().contains("is damaged or incomplete: files/out.txt has 0 bytes"));
      try (SkiffClient c = client(server)) {
        AppSummary app =
            c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList().stream()
                .filter(a -> a.getAppName().equals("restore-image-app"))
                .findFirst()
                .orElseThrow();
        assertThat(app.getState()).isEqualTo(AppState.APP_NOT_RESTORED);
        assertThat(app.getProblem()).contains("found damaged on disk and removed");
      }
      RestoreFns.withImage.deploy();
      assertThat(built.remote(0)).isEqualTo("written by the build");
      assertThat(out).hasContent("written by the build");
    }
  }

  private static List<Path> storedJars(ServerProcess server) throws IOException {
    try (Stream<Path> files = Files.list(server.dataDir().resolve("classpath"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".jar")).toList();
    }
  }

  private static String name(Path jar) {
    String file = jar.getFileName().toString();
    return file.substring(0, file.length() - ".jar".length());
  }

  private static String sha256(Path file) throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
        in.transferTo(OutputStream.nullOutputStream());
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The autoscaler settings in effect for a function of the current version of a deployed app. */
  private static AutoscalerSettings autoscaler(SkiffClient c, String app, String function) {
    String id =
        c.blocking().listApps(ListAppsRequest.getDefaultInstance()).getAppsList().stream()
            .filter(a -> a.getAppName().equals(app) && a.getState() == AppState.APP_DEPLOYED)
            .findFirst()
            .orElseThrow()
            .getAppId();
    return c
        .blocking()
        .getAppStatus(AppStatusRequest.newBuilder().setAppId(id).build())
        .getFunctionsList()
        .stream()
        .filter(f -> f.getFunctionName().equals(function))
        .findFirst()
        .orElseThrow()
        .getAutoscaler();
  }

  private static GetResultResponse result(SkiffClient c, String callId) {
    return c.blocking().getResult(GetResultRequest.newBuilder().setCallId(callId).build());
  }

  private static SkiffClient client(ServerProcess server) {
    ClientConfig config = server.clientConfig();
    return SkiffClient.connect(config.server(), config.token(), config.trust());
  }
}
