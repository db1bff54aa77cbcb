package dev.skiff.server.testing;

import dev.skiff.server.backend.ContainerBackend;
import dev.skiff.server.backend.ContainerHandle;
import dev.skiff.server.backend.ContainerSpec;
import dev.skiff.server.backend.OutputListener;
import dev.skiff.server.backend.Placement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A backend whose containers are puppets: nothing runs; the test decides when they write output and
 * when they exit. {@code stop()} ends a puppet with 143 (SIGTERM), {@code kill()} with 137.
 */
public final class FakeBackend implements ContainerBackend {
  public final List<Puppet> started = new CopyOnWriteArrayList<>();
  public volatile boolean closed;
  private final Placement placement = Placement.unbounded();

  @Override
  public ContainerHandle start(ContainerSpec spec, OutputListener output) {
    Puppet p = new Puppet(spec, output);
    started.add(p);
    return p;
  }

  /** The control socket itself, as the local backend gives it. */
  @Override
  public String advertisedEndpoint(Path controlSocket) {
    return "unix:" + controlSocket;
  }

  /** Places everything: puppets hold nothing. */
  @Override
  public Placement placement() {
    return placement;
  }

  @Override
  public void close() {
    closed = true;
    started.forEach(Puppet::kill);
  }

  public Puppet last() {
    return started.get(started.size() - 1);
  }

  public static final class Puppet implements ContainerHandle {
    public final ContainerSpec spec;
    public final OutputListener output;
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    final List<String> stderr = new ArrayList<>();
    public volatile boolean stopAsked;
    public volatile boolean killed;

    /** What {@link #waitingReason()} says: a cluster holding the container back. */
    public volatile Optional<String> waiting = Optional.empty();

    Puppet(ContainerSpec spec, OutputListener output) {
      this.spec = spec;
      this.output = output;
    }

    public void writeStderr(String line) {
      synchronized (stderr) {
        stderr.add(line);
      }
      output.line(true, line);
    }

    public void exit(int code) {
      exit.complete(code);
    }

    public String env(String name) {
      return spec.environment().get(name);
    }

    @Override
    public String id() {
      return spec.containerId();
    }

    @Override
    public OptionalLong pid() {
      return OptionalLong.empty();
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return exit;
    }

    @Override
    public boolean isAlive() {
      return !exit.isDone();
    }

    @Override
    public void stop() {
      stopAsked = true;
      exit(143);
    }

    @Override
    public void kill() {
      killed = true;
      exit(137);
    }

    @Override
    public Optional<String> waitingReason() {
      return waiting;
    }

    @Override
    public List<String> stderrTail() {
      synchronized (stderr) {
        return List.copyOf(stderr);
      }
    }
  }
}
