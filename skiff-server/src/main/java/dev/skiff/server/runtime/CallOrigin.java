package dev.skiff.server.runtime;

import dev.skiff.proto.CallKind;
import java.util.Objects;

/**
 * Where an input comes from, as a function's recent activity shows it: the kind of call, and its id
 * where it has one (a spawned call's, a client's call id, a scheduled run's).
 *
 * @param kind how it was called
 * @param callId its id; empty for none (it is then shown by its input id)
 */
public record CallOrigin(CallKind kind, String callId) {
  /** A {@code remote} call without an id. */
  public static final CallOrigin REMOTE = new CallOrigin(CallKind.CALL_REMOTE, "");

  /** Rejects nulls. */
  public CallOrigin {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(callId, "callId");
  }

  /** A call of this kind without an id. */
  public static CallOrigin of(CallKind kind) {
    return new CallOrigin(kind, "");
  }
}
