package dev.skiff;

import dev.skiff.internal.SpawnedCall;
import java.time.Duration;

/**
 * A call started with {@code spawn}, whose result can be fetched later, also from another part of
 * the program by its {@link #id()}. Thread-safe.
 *
 * @param <R> the function's result type
 */
public interface FunctionCall<R> {
  /** The call's id, e.g. {@code "fc-3kq9x7m2ab"}. */
  String id();

  /**
   * Waits for the result.
   *
   * @throws FunctionCancelledException if the call was cancelled
   * @throws SkiffException (or the user's exception) if the call failed
   */
  R get();

  /**
   * Waits at most {@code timeout} for the result; the call goes on if it is not ready.
   *
   * @throws ResultNotReadyException if the call has not finished within the timeout
   */
  R get(Duration timeout);

  /**
   * Cancels the call: a queued input is removed, a running attempt is interrupted (and its
   * container killed if it does not stop). {@link #get()} then throws {@link
   * FunctionCancelledException}.
   *
   * @return false when the call had already finished
   */
  boolean cancel();

  /**
   * The call with this id, on the control plane of an app running in this program (or, in a
   * container, of the container's app). The result is decoded by the called function's declared
   * return type.
   *
   * @throws NotFoundException if no such call exists
   * @throws SkiffException if no app is running here
   */
  static <R> FunctionCall<R> fromId(String id) {
    return SpawnedCall.fromId(id);
  }
}
