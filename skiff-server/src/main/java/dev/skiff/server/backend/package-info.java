/**
 * The container backend SPI: where the control plane's containers run. A {@link
 * dev.skiff.server.backend.ContainerBackendProvider}, found with {@link java.util.ServiceLoader}
 * and chosen by name, makes a {@link dev.skiff.server.backend.ContainerBackend}; the control plane
 * hands it a typed {@link dev.skiff.server.backend.ContainerSpec} (classpath, with stored jars by
 * content hash, environment, volumes by name, image by id, what the container may reach, its {@link
 * dev.skiff.server.backend.Resources}) and gets back a {@link
 * dev.skiff.server.backend.ContainerHandle}; the backend resolves hashes, names and ids through the
 * {@link dev.skiff.server.backend.JarResolver}, {@link dev.skiff.server.backend.VolumeResolver} and
 * {@link dev.skiff.server.backend.ImageResolver} of its {@link
 * dev.skiff.server.backend.BackendConfig}. A backend says what it can give containers as {@link
 * dev.skiff.server.backend.Capabilities}, and where and whether a container fits as its {@link
 * dev.skiff.server.backend.Placement} (of a {@link dev.skiff.server.backend.ResourceRequest}).
 *
 * <p>Owns: these types only, no implementation. May use: the JDK. Implementations live in their own
 * packages ({@code dev.skiff.server.backend.local}: child JVMs, bubblewrap, control groups). The
 * control plane depends on this package, never on an implementation: {@code SkiffServer} and {@code
 * EmbeddedControlPlaneFactory} choose a provider by name (image builds borrow the local backend's
 * {@code ProcessLauncher}, a process-forking detail, not a backend).
 */
package dev.skiff.server.backend;
