/**
 * Test fixtures for users' own tests of their functions: {@link dev.skiff.testing.SkiffExtension}
 * (a JUnit 5 extension that runs an embedded control plane and checks that no container outlives
 * the tests), {@link dev.skiff.testing.ServerProcess} (a long-running server as a child JVM) and
 * {@link dev.skiff.testing.SharedTempDirFactory} (temporary directories sandboxed containers can
 * see). Supported API.
 *
 * <p><b>May use:</b> the SDK and its embedded control-plane seam ({@code dev.skiff.internal.spi}).
 */
package dev.skiff.testing;
