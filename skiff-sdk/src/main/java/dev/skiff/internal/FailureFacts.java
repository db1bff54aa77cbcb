package dev.skiff.internal;

import dev.skiff.SkiffException;
import dev.skiff.proto.ErrorInfo;
import java.util.OptionalInt;

/**
 * Attaches what the control plane reported of a failed call (attempts, container, exit code) to the
 * {@link SkiffException} thrown for it. The facts' fields are private to {@code SkiffException};
 * its static initialiser hands this class the one way to set them, so they stay read-only to
 * everyone else.
 */
public final class FailureFacts {
  /** Sets the facts of one exception. */
  @FunctionalInterface
  public interface Writer {
    /** Sets the facts; {@code attempts} 0 and {@code containerId} "" mean absent. */
    void write(SkiffException e, int attempts, String containerId, OptionalInt exitCode);
  }

  private static volatile Writer writer;

  private FailureFacts() {}

  private static final StackWalker WALKER =
      StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

  /**
   * Called once, by {@code SkiffException}'s static initialiser, and only by it: a writer from
   * anywhere else could forge the facts, or, installed first, break every {@code SkiffException}.
   *
   * @throws IllegalCallerException if the caller is not {@code SkiffException}
   * @throws IllegalStateException if a writer is installed already
   */
  public static synchronized void install(Writer w) {
    if (WALKER.getCallerClass() != SkiffException.class) {
      throw new IllegalCallerException(
          "only SkiffException installs the failure facts writer, not "
              + WALKER.getCallerClass().getName());
    }
    if (writer != null) {
      throw new IllegalStateException("the failure facts writer is installed already");
    }
    writer = w;
  }

  /** Attaches the facts of {@code error} to {@code e}. */
  static void attach(SkiffException e, ErrorInfo error) {
    // e exists, so SkiffException is initialised and the writer installed.
    writer.write(
        e,
        error.getAttempts(),
        error.getContainerId(),
        error.hasExitCode() ? OptionalInt.of(error.getExitCode()) : OptionalInt.empty());
  }
}
