package dev.skiff.internal;

import dev.skiff.proto.LogLine;
import dev.skiff.proto.StreamLogsRequest;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Prints the output of a running app's containers on this program's console while the app runs,
 * each line prefixed with the function's name and the container's short id: {@code [hello c-4kq2x9]
 * text}. Lines from a container's stderr go to {@code System.err}. Thread-safe.
 */
public final class LogPrinter {
  private final Context.CancellableContext context;
  private final CountDownLatch ended = new CountDownLatch(1);

  private LogPrinter(Context.CancellableContext context) {
    this.context = context;
  }

  /** Subscribes to the app's container output. */
  public static LogPrinter start(AppBinding binding) {
    Context.CancellableContext context = Context.current().withCancellation();
    LogPrinter printer = new LogPrinter(context);
    context.run(
        () ->
            binding
                .client()
                .async()
                .streamLogs(
                    StreamLogsRequest.newBuilder().setAppId(binding.appId()).build(),
                    new StreamObserver<>() {
                      @Override
                      public void onNext(LogLine line) {
                        PrintStream out = line.getStderr() ? System.err : System.out;
                        out.println(
                            "["
                                + line.getFunctionName()
                                + " "
                                + line.getContainerId()
                                + "] "
                                + line.getText());
                      }

                      @Override
                      public void onError(Throwable t) {
                        printer.ended.countDown();
                      }

                      @Override
                      public void onCompleted() {
                        printer.ended.countDown();
                      }
                    }));
    return printer;
  }

  /** Waits briefly for the last lines after the app stopped, then unsubscribes. */
  public void awaitEnd() {
    try {
      ended.await(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      context.cancel(null);
    }
  }
}
