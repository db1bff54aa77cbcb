package dev.skiff.server.common;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/**
 * The gRPC errors that the services answer with, each with a description that says what was wrong.
 */
public final class Statuses {
  private Statuses() {}

  public static StatusRuntimeException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
  }

  public static StatusRuntimeException notFound(String description) {
    return Status.NOT_FOUND.withDescription(description).asRuntimeException();
  }

  public static StatusRuntimeException denied(String description) {
    return Status.PERMISSION_DENIED.withDescription(description).asRuntimeException();
  }

  /** Try again (here or at another replica): what it needs is moving between replicas. */
  public static StatusRuntimeException unavailable(String description) {
    return Status.UNAVAILABLE.withDescription(description).asRuntimeException();
  }

  public static StatusRuntimeException failedPrecondition(String description) {
    return Status.FAILED_PRECONDITION.withDescription(description).asRuntimeException();
  }

  /** Any failure as a status: a {@link StatusRuntimeException} as is, anything else INTERNAL. */
  public static StatusRuntimeException of(RuntimeException e) {
    if (e instanceof StatusRuntimeException s) {
      return s;
    }
    return Status.INTERNAL
        .withDescription("internal error in the Skiff control plane: " + e)
        .withCause(e)
        .asRuntimeException();
  }

  /**
   * Answers a unary call with what {@code body} returns, or, if it throws, with its failure as a
   * status ({@link #of}).
   */
  public static <T> void respond(StreamObserver<T> response, Supplier<T> body) {
    T value;
    try {
      value = body.get();
    } catch (RuntimeException e) {
      response.onError(of(e));
      return;
    }
    response.onNext(value);
    response.onCompleted();
  }
}
