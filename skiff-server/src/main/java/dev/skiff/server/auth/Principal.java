package dev.skiff.server.auth;

import io.grpc.Context;
import io.grpc.Status;

/**
 * Who made a call, as established by {@link TokenInterceptor} from the call's bearer token. The
 * interceptor puts it into the gRPC {@link Context} of the call.
 */
public sealed interface Principal {
  /** The context key under which the caller of the current call is found. */
  Context.Key<Principal> KEY = Context.key("skiff-principal");

  /** The caller of the call that this thread serves. */
  static Principal current() {
    Principal p = KEY.get();
    if (p == null) {
      throw Status.UNAUTHENTICATED.withDescription("no credentials").asRuntimeException();
    }
    return p;
  }

  /**
   * A user program holding the control plane's client token: may do anything but use the container
   * API.
   */
  record Client() implements Principal {}

  /**
   * A container holding its own token: may call only what {@link Permissions} allows a container,
   * and act only on resources of its own app ({@code appId}; empty while a warm container waits for
   * an app).
   */
  record Container(String containerId, String appId) implements Principal {}
}
