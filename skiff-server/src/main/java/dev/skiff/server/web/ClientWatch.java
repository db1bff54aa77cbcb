package dev.skiff.server.web;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * Tells when the client of a request that waits for its answer goes away, so that its input is
 * cancelled rather than run for no one.
 *
 * <p>HTTP/2 says so itself: a reset stream fails the request, and a failure listener hears it.
 * HTTP/1.1 does not: the server reads nothing from a connection while its request is handled, so a
 * client's close goes unnoticed until the answer is written. Here the connection's end point is
 * asked to report when it becomes readable while the request waits; the end of the stream means the
 * client went away. A client that sends more instead (a pipelined request) has that byte consumed,
 * and its connection is closed after the answer, as HTTP/1.1 allows; the client sends the pipelined
 * request again on a new connection. Thread-safe.
 */
final class ClientWatch implements Callback {
  /** What the watch's pending read is failed with when the answer is ready. */
  private static final class Answered extends Exception {
    private static final long serialVersionUID = 1L;

    Answered() {
      super("the answer is ready", null, false, false);
    }
  }

  private static final Answered ANSWERED = new Answered();

  private final AbstractEndPoint endPoint; // null: nothing to watch (HTTP/2, or not a socket)
  private final Runnable gone;
  private final ReentrantLock lock = new ReentrantLock();
  private boolean stopped; // guarded by lock
  private boolean consumed; // guarded by lock

  private ClientWatch(AbstractEndPoint endPoint, Runnable gone) {
    this.endPoint = endPoint;
    this.gone = gone;
  }

  /**
   * Starts watching the client of {@code request}, whose body has been read in full; {@code gone}
   * runs (perhaps more than once) if it goes away before {@link #stop()}.
   */
  static ClientWatch start(Request request, Runnable gone) {
    request.addFailureListener(failure -> gone.run());
    ConnectionMetaData meta = request.getConnectionMetaData();
    boolean http1 =
        meta.getHttpVersion() == HttpVersion.HTTP_1_1
            || meta.getHttpVersion() == HttpVersion.HTTP_1_0;
    if (http1 && meta.getConnection().getEndPoint() instanceof AbstractEndPoint endPoint) {
      ClientWatch watch = new ClientWatch(endPoint, gone);
      watch.arm();
      return watch;
    }
    return new ClientWatch(null, gone);
  }

  private void arm() {
    // False when the connection reads itself (it does not while a request waits): nothing to do.
    endPoint.tryFillInterested(this);
  }

  /** The connection is readable: the client closed it, or sent more. */
  @Override
  public void succeeded() {
    lock.lock();
    try {
      if (stopped) {
        return;
      }
      ByteBuffer one = BufferUtil.allocate(1);
      int read = endPoint.fill(one);
      if (read < 0) {
        gone.run();
      } else if (read == 0) {
        arm();
      } else {
        consumed = true;
      }
    } catch (IOException e) {
      gone.run();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void failed(Throwable failure) {
    lock.lock();
    try {
      if (stopped || failure == ANSWERED) {
        return;
      }
      if (failure instanceof TimeoutException) {
        // The idle timeout of a connection whose request waits: the client is still there.
        arm();
        return;
      }
    } finally {
      lock.unlock();
    }
    gone.run();
  }

  /**
   * Stops watching; call it before the answer is written.
   *
   * @return whether the connection must be closed after the answer, because the watch consumed a
   *     byte of what the client sent next
   */
  boolean stop() {
    if (endPoint == null) {
      return false;
    }
    lock.lock();
    try {
      if (!stopped) {
        stopped = true;
        endPoint.getFillInterest().onFail(ANSWERED);
      }
      return consumed;
    } finally {
      lock.unlock();
    }
  }
}
