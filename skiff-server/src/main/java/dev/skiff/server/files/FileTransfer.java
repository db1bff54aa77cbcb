package dev.skiff.server.files;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.skiff.server.common.Statuses;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Files streamed over gRPC in chunks, both ways: {@link Upload} writes a client's chunks to a
 * temporary file and hands it over once complete; {@link #download} sends a file as chunks while
 * the caller has room. Shared by the blob and volume services and the jar store of deployed apps.
 */
public final class FileTransfer {
  /** Bytes per download chunk. */
  static final int CHUNK = 1024 * 1024;

  private FileTransfer() {}

  /** Opens the file to send. */
  @FunctionalInterface
  public interface Source {
    /** A new stream over the file; the transfer closes it. */
    InputStream open() throws IOException;
  }

  /**
   * Sends what {@code source} holds as chunks (at least one, empty for an empty file), from a
   * virtual thread, waiting while the caller has no room; stops if the caller cancels.
   *
   * @param what names the transfer in the INTERNAL error a read failure gives ("WHAT failed: ...")
   */
  public static <T> void download(
      StreamObserver<T> response, String what, Source source, Function<ByteString, T> chunk) {
    ServerCallStreamObserver<T> stream = (ServerCallStreamObserver<T>) response;
    Object ready = new Object();
    stream.setOnReadyHandler(
        () -> {
          synchronized (ready) {
            ready.notifyAll();
          }
        });
    Thread.ofVirtual()
        .name("skiff-download")
        .start(
            () -> {
              try (InputStream in = source.open()) {
                byte[] buf = new byte[CHUNK];
                int n;
                boolean sent = false;
                while ((n = in.readNBytes(buf, 0, CHUNK)) > 0 || !sent) {
                  synchronized (ready) {
                    while (!stream.isReady() && !stream.isCancelled()) {
                      ready.wait(100);
                    }
                  }
                  if (stream.isCancelled()) {
                    return;
                  }
                  stream.onNext(chunk.apply(UnsafeByteOperations.unsafeWrap(buf.clone(), 0, n)));
                  sent = true;
                  if (n == 0) {
                    break;
                  }
                }
                stream.onCompleted();
              } catch (StatusRuntimeException e) {
                stream.onError(e); // a refusal from the source, as it said it
              } catch (IOException | RuntimeException e) {
                stream.onError(
                    Status.INTERNAL.withDescription(what + " failed: " + e).asRuntimeException());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
  }

  /**
   * One upload: the first chunk is checked ({@link #begin}) and names a new temporary file; every
   * chunk's bytes are appended to it; at the end the complete file is handed over ({@link
   * #finish}), which answers the call. Any failure answers with an error and deletes the file, and
   * so does the caller's cancellation. Chunks arrive one at a time (gRPC's guarantee), so the
   * fields need no lock.
   *
   * @param <C> the chunk message
   * @param <R> the response
   */
  public abstract static class Upload<C, R> implements StreamObserver<C> {
    private final StreamObserver<R> response;
    private final String what;
    private Path file;
    private OutputStream out;
    private long size;
    private boolean failed;

    /**
     * @param what names the upload in its errors ("a WHAT needs at least one chunk", "WHAT failed:
     *     ...")
     */
    protected Upload(StreamObserver<R> response, String what) {
      this.response = response;
      this.what = what;
    }

    /** Checks the first chunk (throws to refuse the upload) and returns a new file to fill. */
    protected abstract Path begin(C first) throws IOException;

    /** A chunk's bytes. */
    protected abstract ByteString data(C chunk);

    /** Checks the bytes received so far; throws to refuse the upload. */
    protected void checkSize(long size) {}

    /**
     * Opens the stream that the chunks' bytes are written to, over the file {@link #begin} named; a
     * subclass may wrap it (to digest the bytes as they arrive, say).
     */
    protected OutputStream open(Path file) throws IOException {
      return Files.newOutputStream(file);
    }

    /** What an upload that ended before its first chunk is told (INVALID_ARGUMENT). */
    protected String noChunkMessage() {
      return "a " + what + " needs at least one chunk";
    }

    /**
     * The status an upload that failed with {@code e} is answered with: {@code e} itself when it is
     * a status, else INTERNAL naming the upload and the cause.
     */
    protected StatusRuntimeException failure(Exception e) {
      return e instanceof StatusRuntimeException s
          ? s
          : Status.INTERNAL.withDescription(what + " failed: " + e).asRuntimeException();
    }

    /** Takes the complete, closed file (moving it away) and returns the answer. */
    protected abstract R finish(Path file, long size) throws IOException;

    @Override
    public final void onNext(C chunk) {
      if (failed) {
        return;
      }
      try {
        if (out == null) {
          file = begin(chunk);
          out = open(file);
        }
        size += data(chunk).size();
        checkSize(size);
        data(chunk).writeTo(out);
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    @Override
    public final void onError(Throwable t) {
      failed = true;
      discard();
    }

    @Override
    public final void onCompleted() {
      if (failed) {
        return;
      }
      if (out == null) {
        response.onError(Statuses.invalid(noChunkMessage()));
        return;
      }
      R answer;
      try {
        out.close();
        answer = finish(file, size);
      } catch (IOException | RuntimeException e) {
        fail(e);
        return;
      }
      response.onNext(answer);
      response.onCompleted();
    }

    private void fail(Exception e) {
      failed = true;
      discard();
      response.onError(failure(e));
    }

    private void discard() {
      try {
        if (out != null) {
          out.close();
        }
        if (file != null) {
          Files.deleteIfExists(file);
        }
      } catch (IOException ignored) {
        // a leftover temporary file is harmless: it was never handed over
      }
    }
  }
}
