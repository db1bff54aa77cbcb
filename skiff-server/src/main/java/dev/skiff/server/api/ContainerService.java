package dev.skiff.server.api;

import dev.skiff.proto.ContainerApiGrpc;
import dev.skiff.proto.ContainerHello;
import dev.skiff.proto.ContainerMessage;
import dev.skiff.proto.ControlMessage;
import dev.skiff.server.auth.Principal;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.runtime.Container;
import dev.skiff.server.runtime.ContainerChannel;
import dev.skiff.server.runtime.ContainerEvents;
import dev.skiff.server.scaling.WarmPool;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger.Level;
import java.util.concurrent.ConcurrentMap;

/**
 * The container API: one {@code Connect} stream per container for its whole life. The first message
 * must be {@code hello} with the container's own id and token (the token that also authenticated
 * the call); everything after it is handed to the container's {@link ContainerEvents}. When the
 * stream ends, the scheduler decides what happens to the container.
 */
public final class ContainerService extends ContainerApiGrpc.ContainerApiImplBase {
  private static final System.Logger LOG = System.getLogger(ContainerService.class.getName());

  private final ConcurrentMap<String, Container> containers;
  private final WarmPool pool;

  public ContainerService(ConcurrentMap<String, Container> containers, WarmPool pool) {
    this.containers = containers;
    this.pool = pool;
  }

  @Override
  public StreamObserver<ContainerMessage> connect(StreamObserver<ControlMessage> responses) {
    if (!(Principal.current() instanceof Principal.Container me)) {
      // The interceptor refuses such calls already; this is a second line.
      responses.onError(Statuses.denied("the container API takes container tokens only"));
      return new StreamObserver<>() {
        @Override
        public void onNext(ContainerMessage message) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    return new Session(me, new ContainerChannel(me.containerId(), responses));
  }

  /** The inbound side of one stream. gRPC delivers its messages one at a time. */
  private final class Session implements StreamObserver<ContainerMessage> {
    private final Principal.Container principal;
    private final ContainerChannel channel;
    private volatile Container container;
    private volatile boolean rejected;
    // A warm container waiting in the pool: its messages go to its scheduler once one takes it.
    private volatile boolean warm;

    Session(Principal.Container principal, ContainerChannel channel) {
      this.principal = principal;
      this.channel = channel;
    }

    @Override
    public void onNext(ContainerMessage message) {
      if (rejected) {
        return;
      }
      try {
        Container c = container;
        if (c == null && warm) {
          c = containers.get(principal.containerId());
          if (c == null) {
            if (message.getMsgCase() != ContainerMessage.MsgCase.HEARTBEAT) {
              throw Statuses.failedPrecondition(
                  "a warm container only sends heartbeats until bound");
            }
            return;
          }
          container = c;
        }
        if (c == null) {
          if (message.getMsgCase() != ContainerMessage.MsgCase.HELLO) {
            throw Statuses.failedPrecondition("the first message on the stream must be hello");
          }
          hello(message.getHello());
          return;
        }
        ContainerEvents f = c.scheduler;
        switch (message.getMsgCase()) {
          case HELLO -> throw Statuses.failedPrecondition("hello was already sent");
          case READY -> f.onReady(c);
          case INIT_FAILED -> f.onInitFailed(c, message.getInitFailed());
          case OUTPUTS -> f.onOutputs(c, message.getOutputs().getOutputsList());
          case ITEM -> f.onItem(c, message.getItem());
          case HEARTBEAT -> f.onHeartbeat(c);
          case MSG_NOT_SET -> {}
        }
      } catch (StatusRuntimeException e) {
        reject(e.getStatus());
      }
    }

    private void hello(ContainerHello hello) {
      if (!hello.getContainerId().equals(principal.containerId())) {
        throw Statuses.denied(
            "container "
                + principal.containerId()
                + " may not connect as container '"
                + hello.getContainerId()
                + "'");
      }
      Container c = containers.get(hello.getContainerId());
      if (c == null) {
        if (pool.attach(hello.getContainerId(), hello.getToken(), channel)) {
          warm = true;
          LOG.log(Level.DEBUG, "warm container {0} connected", hello.getContainerId());
          return;
        }
        throw Statuses.notFound("container '" + hello.getContainerId() + "' is not known");
      }
      if (!c.token.equals(hello.getToken())) {
        throw Statuses.denied("the hello token is not the container's token");
      }
      if (!c.scheduler.attach(c, channel)) {
        throw Statuses.failedPrecondition(
            "container '" + c.id + "' is already connected or has ended");
      }
      container = c;
      LOG.log(Level.DEBUG, "{0} connected", c);
    }

    private void reject(Status status) {
      rejected = true;
      LOG.log(Level.DEBUG, "refusing a container stream: {0}", status);
      channel.fail(status);
      Container c = container;
      if (c != null) {
        c.scheduler.onStreamClosed(c);
      }
    }

    @Override
    public void onError(Throwable t) {
      channel.markClosed();
      closed();
    }

    @Override
    public void onCompleted() {
      channel.complete();
      closed();
    }

    private void closed() {
      Container c = container;
      if (c == null && warm) {
        c = containers.get(principal.containerId());
        if (c == null) {
          pool.onStreamClosed(principal.containerId());
          return;
        }
      }
      if (c != null && !rejected) {
        c.scheduler.onStreamClosed(c);
      }
    }
  }
}
