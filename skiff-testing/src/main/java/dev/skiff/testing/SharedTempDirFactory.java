package dev.skiff.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * Makes JUnit's {@code @TempDir} directories under a directory that the containers of every {@link
 * SkiffExtension} control plane see read-write at the same path, so that a test can hand files to
 * its functions and read what they write, even though sandboxed containers see nothing else of the
 * host. Use it per directory, {@code @TempDir(factory = SharedTempDirFactory.class) Path dir}, or
 * for a whole test suite with the JUnit configuration parameter {@code
 * junit.jupiter.tempdir.factory.default=dev.skiff.testing.SharedTempDirFactory}.
 *
 * <p>Meant for tests only: in production, hand files to functions through a volume. Thread-safe.
 */
public final class SharedTempDirFactory implements TempDirFactory {
  private static final Object LOCK = new Object();
  private static Path root; // guarded by LOCK

  /** For JUnit. */
  public SharedTempDirFactory() {}

  /**
   * The directory under which shared temporary directories are made: one per JVM, under the
   * system's temporary directory, created on first use and removed when the JVM exits (JUnit
   * removes each test's directory after the test).
   */
  public static Path root() {
    synchronized (LOCK) {
      if (root == null) {
        try {
          Path dir = Files.createTempDirectory("skiff-shared-");
          Runtime.getRuntime()
              .addShutdownHook(new Thread(() -> dir.toFile().delete(), "skiff-shared-cleanup"));
          root = dir;
        } catch (IOException e) {
          throw new UncheckedIOException(
              "could not create a directory to share with containers", e);
        }
      }
      return root;
    }
  }

  @Override
  public Path createTempDirectory(
      AnnotatedElementContext elementContext, ExtensionContext extensionContext) throws Exception {
    return Files.createTempDirectory(root(), "junit-");
  }
}
