package dev.skiff.server.api;

import com.google.protobuf.ByteString;
import dev.skiff.proto.DeleteVolumeResponse;
import dev.skiff.proto.ListFilesRequest;
import dev.skiff.proto.ListFilesResponse;
import dev.skiff.proto.ListVolumesRequest;
import dev.skiff.proto.ListVolumesResponse;
import dev.skiff.proto.RemovePathRequest;
import dev.skiff.proto.RemovePathResponse;
import dev.skiff.proto.VolumeApiGrpc;
import dev.skiff.proto.VolumeChunk;
import dev.skiff.proto.VolumeFileEntry;
import dev.skiff.proto.VolumeFileRef;
import dev.skiff.proto.VolumeInfo;
import dev.skiff.proto.VolumeRef;
import dev.skiff.proto.WriteFileResponse;
import dev.skiff.server.auth.Permissions;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.files.FileTransfer;
import dev.skiff.server.files.VolumeStore;
import dev.skiff.server.files.VolumeWork;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The volume API ({@code VolumeApi}) over a {@link VolumeStore}. A client may use every volume; a
 * container may only list, read, write and remove files in the volumes its app's functions mount
 * (looked up from the app, never taken from the request), and may not create, list or delete
 * volumes ({@link Permissions} refuses those calls). Every file operation runs on a virtual thread,
 * never on a transport thread, at most {@link VolumeWork#MAX_IN_FLIGHT} at once per volume; a
 * download is sent in chunks as the stream has room; an upload is written to a file beside the
 * volumes as it arrives, one chunk at a time, and renamed into place when it completes.
 */
public final class VolumeService extends VolumeApiGrpc.VolumeApiImplBase {
  private final VolumeStore store;
  private final Function<String, Set<String>> mountsOfApp;
  private final VolumeWork work = new VolumeWork();

  /**
   * @param mountsOfApp the names of the volumes that the functions of a running app mount (empty
   *     for an app that is not running)
   */
  public VolumeService(VolumeStore store, Function<String, Set<String>> mountsOfApp) {
    this.store = store;
    this.mountsOfApp = mountsOfApp;
  }

  /** Second line behind {@link Permissions}: whole-volume operations are for clients only. */
  private static void checkClient() {
    if (!(Principal.current() instanceof Principal.Client)) {
      throw Statuses.denied(
          "a container token may not create, list or delete volumes; it may use the files of the"
              + " volumes its app mounts");
    }
  }

  /** A container may use the files of the volumes its app mounts only. */
  private void checkMayUse(String volume) {
    if (Principal.current() instanceof Principal.Container c) {
      Set<String> mounted = mountsOfApp.apply(c.appId());
      if (!mounted.contains(volume)) {
        throw Statuses.denied(
            "app "
                + c.appId()
                + " does not mount volume '"
                + volume
                + "'; a container token may use the volumes its app mounts only ("
                + new TreeSet<>(mounted)
                + ")");
      }
    }
  }

  @Override
  public void createVolume(VolumeRef request, StreamObserver<VolumeInfo> response) {
    work.run(
        request.getName(),
        response,
        () ->
            Statuses.respond(
                response,
                () -> {
                  checkClient();
                  VolumeStore.VolumeInfo created = store.create(request.getName());
                  return VolumeInfo.newBuilder()
                      .setName(created.name())
                      .setCreatedMs(created.createdMillis())
                      .build();
                }));
  }

  @Override
  public void listVolumes(
      ListVolumesRequest request, StreamObserver<ListVolumesResponse> response) {
    work.run(
        "",
        response,
        () ->
            Statuses.respond(
                response,
                () -> {
                  checkClient();
                  ListVolumesResponse.Builder out = ListVolumesResponse.newBuilder();
                  store
                      .list()
                      .forEach(
                          v ->
                              out.addVolumes(
                                  VolumeInfo.newBuilder()
                                      .setName(v.name())
                                      .setCreatedMs(v.createdMillis())));
                  return out.build();
                }));
  }

  @Override
  public void deleteVolume(VolumeRef request, StreamObserver<DeleteVolumeResponse> response) {
    work.run(
        request.getName(),
        response,
        () ->
            Statuses.respond(
                response,
                () -> {
                  checkClient();
                  store.delete(request.getName());
                  return DeleteVolumeResponse.getDefaultInstance();
                }));
  }

  @Override
  public void listFiles(ListFilesRequest request, StreamObserver<ListFilesResponse> response) {
    work.run(
        request.getVolume(),
        response,
        () ->
            Statuses.respond(
                response,
                () -> {
                  checkMayUse(request.getVolume());
                  ListFilesResponse.Builder out = ListFilesResponse.newBuilder();
                  for (VolumeStore.Entry e :
                      store.listFiles(
                          request.getVolume(), request.getPath(), request.getRecursive())) {
                    out.addEntries(
                        VolumeFileEntry.newBuilder()
                            .setPath(e.path())
                            .setDirectory(e.directory())
                            .setSize(e.size())
                            .setModifiedMs(e.modifiedMillis()));
                  }
                  return out.build();
                }));
  }

  @Override
  public void removePath(RemovePathRequest request, StreamObserver<RemovePathResponse> response) {
    work.run(
        request.getVolume(),
        response,
        () ->
            Statuses.respond(
                response,
                () -> {
                  checkMayUse(request.getVolume());
                  store.remove(request.getVolume(), request.getPath(), request.getRecursive());
                  return RemovePathResponse.getDefaultInstance();
                }));
  }

  @Override
  public void readFile(VolumeFileRef request, StreamObserver<VolumeChunk> response) {
    String volume = request.getVolume();
    try {
      checkMayUse(volume);
    } catch (RuntimeException e) {
      response.onError(Statuses.of(e));
      return;
    }
    if (!work.tryEnter(volume)) {
      response.onError(VolumeWork.exhausted(volume));
      return;
    }
    // The download opens the file on a virtual thread of its own: an open that blocks holds one of
    // the volume's permits, not a transport thread.
    FileTransfer.download(
        response,
        "reading '" + request.getPath() + "'",
        () -> {
          try {
            return store.read(volume, request.getPath());
          } catch (RuntimeException e) {
            throw Statuses.of(e);
          } finally {
            work.exit(volume);
          }
        },
        data -> VolumeChunk.newBuilder().setData(data).build());
  }

  @Override
  public StreamObserver<VolumeChunk> writeFile(StreamObserver<WriteFileResponse> response) {
    return work.stream(response, VolumeChunk::getVolume, this::upload);
  }

  private StreamObserver<VolumeChunk> upload(StreamObserver<WriteFileResponse> response) {
    return new FileTransfer.Upload<VolumeChunk, WriteFileResponse>(response, "file upload") {
      private String volume;
      private String path;

      @Override
      protected Path begin(VolumeChunk first) throws IOException {
        volume = first.getVolume();
        path = first.getPath();
        checkMayUse(volume);
        if (first.getCreateVolume()) {
          store.ensure(volume);
        }
        store.checkWritable(volume, path); // checks the volume and the path before any byte
        return store.newIncoming();
      }

      @Override
      protected ByteString data(VolumeChunk chunk) {
        return chunk.getData();
      }

      @Override
      protected WriteFileResponse finish(Path upload, long size) throws IOException {
        store.commit(upload, volume, path);
        return WriteFileResponse.newBuilder().setSize(size).build();
      }
    };
  }
}
