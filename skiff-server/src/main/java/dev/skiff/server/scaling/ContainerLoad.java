package dev.skiff.server.scaling;

import java.time.Instant;

/**
 * One container as an {@link Autoscaler} (and the status API) sees it.
 *
 * @param id the container's id
 * @param state where it is in its life
 * @param running inputs running in its slots now (not those sent ahead)
 * @param since for an idle container, when it went idle; otherwise when it was created
 */
public record ContainerLoad(String id, State state, int running, Instant since) {
  /** Where a container is, from the autoscaler's point of view. */
  public enum State {
    /** Created; not ready yet. */
    STARTING,
    /** Ready, with nothing assigned. */
    IDLE,
    /** Ready, with at least one input assigned. */
    BUSY,
    /** Told to stop or killed; its process may still exist. */
    STOPPING
  }
}
