package dev.skiff.server.auth;

import dev.skiff.proto.BlobApiGrpc;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.ContainerApiGrpc;
import dev.skiff.proto.VolumeApiGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The one place that says which RPCs each kind of principal may call. {@link TokenInterceptor} asks
 * it before any service sees a call; the services then check that the resource a call names (an
 * app, a call, a container, a blob, a volume) belongs to the caller's app.
 *
 * <p>The client token may call everything except the container API. A container token may call
 * exactly what a function needs and nothing else:
 *
 * <ul>
 *   <li>{@code ContainerApi.Connect}: its own inputs and outputs;
 *   <li>{@code Call}, {@code Map}, {@code Spawn}, {@code Generate}, {@code GetResult}, {@code
 *       Cancel}, {@code LookupFunction}: the functions and calls of its own app (another app's are
 *       refused by the services, which look up the app that owns each function and call);
 *   <li>{@code GetAppStatus}, {@code GetAppHistory}, {@code StreamLogs}: reading its own app's
 *       state and output;
 *   <li>{@code BlobApi}: the blobs of its own app (large payloads);
 *   <li>{@code ListFiles}, {@code ReadFile}, {@code WriteFile}, {@code RemovePath}: the files of
 *       the volumes its app mounts.
 * </ul>
 *
 * Everything else (creating, deploying, stopping, renewing the leases of or rescaling apps,
 * stopping containers, listing apps, building images, creating, listing or deleting volumes) is
 * refused with {@code PERMISSION_DENIED}. Stateless and thread-safe.
 */
public final class Permissions {
  /** What a container token may do, as its refusals say. */
  public static final String CONTAINER_MAY =
      "a container token may only run its own inputs, call and observe the functions of its own"
          + " app, and use its own app's blobs and the volumes its app mounts";

  private static final Set<String> CONTAINER_METHODS =
      Stream.of(
              ContainerApiGrpc.getConnectMethod(),
              ClientApiGrpc.getCallMethod(),
              ClientApiGrpc.getMapMethod(),
              ClientApiGrpc.getSpawnMethod(),
              ClientApiGrpc.getSpawnManyMethod(),
              ClientApiGrpc.getGenerateMethod(),
              ClientApiGrpc.getGetResultMethod(),
              ClientApiGrpc.getCancelMethod(),
              ClientApiGrpc.getLookupFunctionMethod(),
              ClientApiGrpc.getGetAppStatusMethod(),
              ClientApiGrpc.getGetAppHistoryMethod(),
              ClientApiGrpc.getStreamLogsMethod(),
              BlobApiGrpc.getPutBlobMethod(),
              BlobApiGrpc.getGetBlobMethod(),
              VolumeApiGrpc.getListFilesMethod(),
              VolumeApiGrpc.getReadFileMethod(),
              VolumeApiGrpc.getWriteFileMethod(),
              VolumeApiGrpc.getRemovePathMethod())
          .map(MethodDescriptor::getFullMethodName)
          .collect(Collectors.toUnmodifiableSet());

  private Permissions() {}

  /**
   * Why {@code principal} may not call {@code method}, or empty when it may. The answer is the
   * status to refuse the call with.
   */
  static Optional<Status> refusal(Principal principal, MethodDescriptor<?, ?> method) {
    boolean containerApi = ContainerApiGrpc.SERVICE_NAME.equals(method.getServiceName());
    return switch (principal) {
      case Principal.Client client ->
          containerApi
              ? Optional.of(
                  Status.PERMISSION_DENIED.withDescription(
                      "the container API takes container tokens only"))
              : Optional.empty();
      case Principal.Container container ->
          CONTAINER_METHODS.contains(method.getFullMethodName())
              ? Optional.empty()
              : Optional.of(
                  Status.PERMISSION_DENIED.withDescription(
                      "the container token may not call "
                          + method.getBareMethodName()
                          + "; "
                          + CONTAINER_MAY));
    };
  }
}
