package dev.skiff.server.deploy;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.skiff.proto.CreateAppRequest;
import dev.skiff.proto.DeployAppRequest;
import dev.skiff.proto.ErrorKind;
import dev.skiff.server.calls.CallRegistry;
import dev.skiff.server.runtime.Failures;
import dev.skiff.server.runtime.FunctionInputs;
import dev.skiff.server.runtime.RunningApp;
import dev.skiff.server.store.Store;
import dev.skiff.server.store.StoredApp;
import dev.skiff.server.store.StoredCall;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What runs when the server starts to bring deployed apps back: every stored deployment starts
 * again under its stored version (its schedules counting from its deployment time and resuming
 * after the last tick that ran, through {@link Deployments#resume}) with the autoscaler overrides
 * stored for that version, then the unfinished spawned calls of deployed apps are re-queued under
 * their old ids and the other unfinished calls get a stored failure. A deployment that cannot start
 * (a secret deleted, its jars gone or damaged, its definition damaged) is logged, shown as not
 * restored with the problem ({@code skiff app list}), and its pending durable calls stay pending in
 * the store: they run when a later restart restores it or a deploy of its name adopts them. The
 * others still start.
 */
final class Restorer {
  private static final System.Logger LOG = System.getLogger(Restorer.class.getName());

  private final Deployments deployments;
  private final Store store;
  private final CallRegistry calls;
  private final JarStore jars;
  private final Clock clock;

  Restorer(Deployments deployments, Store store, CallRegistry calls, JarStore jars, Clock clock) {
    this.clock = clock;
    this.deployments = deployments;
    this.store = store;
    this.calls = calls;
    this.jars = jars;
  }

  /** Brings back the stored deployments, then the unfinished calls. */
  void restore() {
    endUnfinishedRuns();
    restoreApps();
    requeueCalls(name -> true, false);
  }

  /**
   * Brings back one stored deployment that this replica took over from another (which died, or gave
   * it up): ends the runs that the other left unfinished, starts the app, and re-queues its
   * unfinished spawned calls. The caller holds the deployments' lock.
   */
  void takeOver(StoredApp stored) {
    int ended =
        store
            .runs()
            .finishUnfinished(
                stored.name(),
                clock.instant(),
                Failures.result(
                        Failures.error(
                            ErrorKind.INTERNAL,
                            "the replica that ran this scheduled run stopped owning its app before"
                                + " it finished; its tick is not run again (a tick fires at most"
                                + " once)"))
                    .toByteArray());
    if (ended > 0) {
      LOG.log(
          Level.INFO,
          "{0} scheduled run(s) of app {1} left unfinished by its previous owner were ended",
          ended,
          stored.name());
    }
    restoreApp(stored);
    requeueCalls(stored.name()::equals, true);
  }

  /**
   * Ends the scheduled runs that the previous server left unfinished, as failed: a run is stored
   * before its input is submitted, and the input died with that server (or never reached a
   * container). Their ticks are not fired again: a tick fires at most once.
   */
  private void endUnfinishedRuns() {
    int ended =
        store
            .runs()
            .finishUnfinished(
                clock.instant(),
                Failures.result(
                        Failures.error(
                            ErrorKind.INTERNAL,
                            "the server stopped before this scheduled run finished; its tick is"
                                + " not run again (a tick fires at most once)"))
                    .toByteArray());
    if (ended > 0) {
      LOG.log(Level.INFO, "{0} scheduled run(s) left unfinished by the server were ended", ended);
    }
  }

  /**
   * Starts every stored deployment under its stored version and deployment time, holding the
   * deployments' lock throughout so that no deploy can come between two of them.
   */
  private void restoreApps() {
    synchronized (deployments.lock) {
      for (StoredApp stored : store.deployments().all()) {
        restoreApp(stored);
      }
    }
  }

  /** Starts one stored deployment, or notes why it could not start. */
  private void restoreApp(StoredApp stored) {
    try {
      DeployAppRequest request = DeployAppRequest.parseFrom(stored.definition());
      List<String> missing = jars.missing(request.getJarsList());
      if (!missing.isEmpty()) {
        throw new IllegalStateException("its classpath jars are gone: " + missing);
      }
      CreateAppRequest create = jars.withStoredClasspath(request);
      deployments.start(request, create, stored.version(), stored.deployedAt(), null);
      deployments.applyStoredAutoscalers(stored.name(), stored.version());
      LOG.log(Level.INFO, "app {0} (version {1}) restored", stored.name(), stored.version());
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      LOG.log(Level.ERROR, "deployed app '" + stored.name() + "' could not be restored", e);
      deployments.notRestored(
          stored.name(),
          stored.version(),
          stored.deployedAt(),
          "could not be restored: " + Optional.ofNullable(e.getMessage()).orElse(e.toString()));
    }
  }

  /**
   * Re-queues the unfinished spawned calls of deployed apps under their old ids; other unfinished
   * calls get a stored failure.
   */
  private void requeueCalls(Predicate<String> ofApp, boolean takeover) {
    int requeued = 0;
    int failed = 0;
    int waiting = 0;
    for (StoredCall call : store.calls().unfinished()) {
      if (!ofApp.test(call.appName()) || (takeover && !call.deployed())) {
        continue; // another app's, or (taking over) an ephemeral app's: it lives on its replica
      }
      Optional<RunningApp> app =
          call.deployed()
              ? Optional.ofNullable(deployments.currentOrNull(call.appName()))
              : Optional.empty();
      Optional<FunctionInputs> function = app.flatMap(a -> a.function(call.function()));
      if (function.isPresent()) {
        deployments.requeued(call.args(), app.get().spec().id());
        calls.adopt(call.id(), function.get(), call.args());
        requeued++;
      } else if (call.deployed() && deployments.isNotRestored(call.appName())) {
        waiting++; // runs once its app is restored or redeployed
      } else {
        calls.failStored(
            call.id(),
            Failures.result(
                Failures.error(
                    ErrorKind.CANCELLED,
                    "the server restarted before call "
                        + call.id()
                        + " finished, and function '"
                        + call.function()
                        + "' of app '"
                        + call.appName()
                        + "' is not deployed, so it could not run again")));
        failed++;
      }
    }
    if (requeued + failed + waiting > 0) {
      LOG.log(
          Level.INFO,
          "re-queued {0} unfinished call(s) of deployed apps; {1} could not run again; {2} wait"
              + " for their app to be restored",
          requeued,
          failed,
          waiting);
    }
  }
}
