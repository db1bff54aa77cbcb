package dev.skiff.server.runtime;

import com.google.protobuf.ByteString;
import dev.skiff.proto.Result;

/**
 * Where an input's outcome goes: the caller's stream or a spawned call's record. Called without any
 * scheduler lock held; {@link #onResult} exactly once per input.
 */
@FunctionalInterface
public interface InputListener {
  /** A generator produced an item (in order). */
  default void onItem(ByteString item) {}

  /** The input's final result. */
  void onResult(Result result);

  /**
   * A group of results was just delivered together (from one message of a container, say); a
   * listener that batches what it sends on sends now.
   */
  default void flush() {}
}
