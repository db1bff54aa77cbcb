package dev.skiff.e2e;

import dev.skiff.App;
import dev.skiff.Function0;
import dev.skiff.Function2;
import dev.skiff.Volume;
import dev.skiff.internal.SkiffClient;
import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.BlobApiGrpc;
import dev.skiff.proto.BlobRef;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.ListFilesRequest;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.StopAppRequest;
import dev.skiff.proto.StopContainerRequest;
import dev.skiff.proto.StreamLogsRequest;
import dev.skiff.proto.UpdateAutoscalerRequest;
import dev.skiff.proto.VolumeApiGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The apps of {@link ContainerTokenTest}: a hostile function that takes its container's own token
 * (as any function code can: it is in the container's environment) and uses it over real gRPC
 * against the control plane, and a victim app whose resources it goes after.
 */
final class TokenFns {
  private TokenFns() {}

  static final String OWN_VOLUME = "thief-volume";

  /** The hostile app. Its functions mount {@link #OWN_VOLUME} and nothing else. */
  static final App thief = App.named("token-thief");

  /** Performs one attack with the container's token; answers "OK ..." or "CODE: description". */
  static final Function2<String, String, String> attack =
      thief.function(
          TokenFns::attack, f -> f.volume("/own", Volume.fromName(OWN_VOLUME).createIfMissing()));

  /** A sibling function: its container's id. Its container stays while the test looks at it. */
  static final Function0<String> sibling =
      thief.function(TokenFns::sibling, f -> f.scaledownWindow(Duration.ofMinutes(10)));

  /** The victim app: prints a secret line and answers its container's id. */
  static final App victim = App.named("token-victim");

  static final Function0<String> speak = victim.function(TokenFns::speak);

  static String containerId() {
    return System.getenv("SKIFF_CONTAINER_ID");
  }

  static String sibling() {
    return containerId();
  }

  static String speak() {
    System.out.println("the victim's secret line");
    System.out.flush();
    return containerId();
  }

  static String attack(String what, String arg) throws InterruptedException {
    // What hostile code can read: the token the container runtime itself dials the control
    // plane with, and the control plane's address.
    ManagedChannel channel =
        SkiffClient.channel(System.getenv("SKIFF_SERVER"), System.getenv("SKIFF_TOKEN"));
    String ownApp = System.getenv("SKIFF_APP_ID");
    try {
      ClientApiGrpc.ClientApiBlockingStub client = ClientApiGrpc.newBlockingStub(channel);
      return switch (what) {
        case "stopApp" -> {
          client.stopApp(StopAppRequest.newBuilder().setAppId(ownApp).build());
          yield "OK stopped";
        }
        case "scale" -> {
          client.updateAutoscaler(
              UpdateAutoscalerRequest.newBuilder()
                  .setFunction(FunctionRef.newBuilder().setAppId(ownApp).setFunctionName("attack"))
                  .setSettings(
                      AutoscalerSettings.newBuilder()
                          .setMaxContainers(Integer.parseInt(arg))
                          .setScaledownWindowMs(60_000))
                  .build());
          yield "OK scaled";
        }
        case "stopContainer" -> {
          client.stopContainer(StopContainerRequest.newBuilder().setContainerId(arg).build());
          yield "OK stopped " + arg;
        }
        case "logs" -> {
          // Names its own app, whose logs it may read, and another app's ended container.
          Iterator<LogLine> lines =
              client.streamLogs(
                  StreamLogsRequest.newBuilder()
                      .setAppId(ownApp)
                      .setContainerId(arg)
                      .setTail(100)
                      .setKeptOnly(true)
                      .build());
          List<String> read = new ArrayList<>();
          lines.forEachRemaining(l -> read.add(l.getText().strip()));
          yield "OK read " + read;
        }
        case "callOther" -> {
          String[] appAndFunction = arg.split("/", -1);
          client.call(
              CallRequest.newBuilder()
                  .setFunction(
                      FunctionRef.newBuilder()
                          .setAppId(appAndFunction[0])
                          .setFunctionName(appAndFunction[1]))
                  .build());
          yield "OK called";
        }
        case "blob" -> {
          Iterator<?> chunks =
              BlobApiGrpc.newBlockingStub(channel).getBlob(BlobRef.newBuilder().setId(arg).build());
          int n = 0;
          while (chunks.hasNext()) {
            chunks.next();
            n++;
          }
          yield "OK read " + n + " chunks";
        }
        case "volume" -> {
          int n =
              VolumeApiGrpc.newBlockingStub(channel)
                  .listFiles(ListFilesRequest.newBuilder().setVolume(arg).setPath("/").build())
                  .getEntriesCount();
          yield "OK listed " + n + " files";
        }
        default -> throw new IllegalArgumentException("no attack '" + what + "'");
      };
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() + ": " + e.getStatus().getDescription();
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
