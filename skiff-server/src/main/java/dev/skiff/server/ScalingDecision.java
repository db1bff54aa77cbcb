package dev.skiff.server;

/**
 * What an {@link Autoscaler} decided for one function.
 *
 * @param start how many containers to start now
 * @param stop how many idle-expired containers to stop now (the longest idle first)
 * @param reason why, for the debug log
 */
record ScalingDecision(int start, int stop, String reason) {
  static final ScalingDecision NONE = new ScalingDecision(0, 0, "steady");

  ScalingDecision {
    if (start < 0 || stop < 0 || (start > 0 && stop > 0)) {
      throw new IllegalArgumentException("invalid decision: start=" + start + " stop=" + stop);
    }
  }

  boolean changesAnything() {
    return start > 0 || stop > 0;
  }
}
