package dev.skiff.server.common;

/**
 * The server's bounds on every number a caller sends. The SDK checks the same options before they
 * leave the caller's program, but a caller need not use the SDK, so the control plane checks them
 * again and answers {@code INVALID_ARGUMENT} naming the field, its value and the allowed range. The
 * bounds match the SDK's where it has one; see docs/server.md ("Bounds").
 */
public final class Bounds {
  private Bounds() {}

  /** The most containers a function may ask for (min, max and buffer). */
  public static final int MAX_CONTAINERS = 1_000;

  /** The most inputs one container may run at once. */
  public static final int MAX_CONCURRENT_INPUTS = 1_000;

  /** The longest timeout, startup timeout, scaledown window and result wait: one day. */
  public static final long MAX_DURATION_MS = 24L * 60 * 60 * 1000;

  /** The most retries of one input. */
  public static final int MAX_RETRIES = 10;

  /** The longest delay before a retry. */
  public static final long MAX_RETRY_DELAY_MS = 60_000;

  /** The largest retry backoff coefficient. */
  public static final double MAX_BACKOFF_COEFFICIENT = 10.0;

  /** The most CPU cores a container may reserve or use. */
  public static final double MAX_CPU = 256;

  /** The most memory a container may reserve or use, in MiB (1 TiB). */
  public static final long MAX_MEMORY_MIB = 1_048_576;

  /** The most functions one app may define. */
  public static final int MAX_FUNCTIONS = 1_000;

  /** The most deployed apps one app may name as callable (App.canCall). */
  public static final int MAX_CALLABLE_APPS = 100;

  /** The most entries in a function's GPU, region and volume lists. */
  public static final int MAX_LIST_ENTRIES = 64;

  /**
   * The most inputs one map may have unanswered or unsent before the server stops reading its
   * stream (and resumes at half).
   */
  public static final int MAX_UNANSWERED_MAP_INPUTS = 20_000;

  /**
   * The most inputs in one {@code MapRequest} (the SDK sends at most 1024), checked before any of
   * them is queued, so that one map holds at most {@link #MAX_UNANSWERED_MAP_INPUTS} plus this
   * many; past it, RESOURCE_EXHAUSTED.
   */
  public static final int MAX_INPUTS_PER_MAP_MESSAGE = 4_096;

  /** The most credit one {@code GenerateRequest} may grant (the SDK grants 32 at a time). */
  public static final int MAX_GENERATOR_CREDIT = 1_024;

  /** Checks {@code min <= value <= max}; INVALID_ARGUMENT naming the field otherwise. */
  public static void check(String prefix, String field, long value, long min, long max) {
    if (value < min || value > max) {
      throw Statuses.invalid(prefix + field + " is " + value + "; allowed is " + min + ".." + max);
    }
  }

  /** Checks {@code min <= value <= max} and that it is a number; INVALID_ARGUMENT otherwise. */
  public static void check(String prefix, String field, double value, double min, double max) {
    if (!(value >= min && value <= max)) {
      throw Statuses.invalid(prefix + field + " is " + value + "; allowed is " + min + ".." + max);
    }
  }
}
