/**
 * The local container backend: each container a child JVM of the control plane's process ({@link
 * dev.skiff.server.backend.local.LocalProcessBackend}), made by {@link
 * dev.skiff.server.backend.local.LocalBackendProvider} under the name {@code local}. Starting one
 * goes through named steps: the JVM's command line ({@link
 * dev.skiff.server.backend.local.JvmCommand}, with its class-data archive from {@link
 * dev.skiff.server.backend.local.ClassDataArchives}), the bubblewrap {@link
 * dev.skiff.server.backend.local.Sandbox} with its {@link
 * dev.skiff.server.backend.local.UserNetwork}, the control groups of its limits ({@link
 * dev.skiff.server.backend.local.HardLimits}, {@link dev.skiff.server.backend.local.CgroupLimits}),
 * its environment, and the fork from {@link dev.skiff.server.backend.local.ProcessLauncher}'s
 * thread. Its placement is its one node's capacity ({@link
 * dev.skiff.server.backend.local.NodeCapacity}).
 *
 * <p>Owns: the processes it starts, their sandboxes, control groups and class-data archives; the
 * node's reservations (CPU, memory, which GPU each container holds). May use: the backend SPI
 * ({@code dev.skiff.server.backend}), the SDK's container-environment contract ({@code
 * dev.skiff.internal.container.ContainerEnvironment}) and the JDK; never the control plane. {@link
 * dev.skiff.server.backend.local.ProcessLauncher} is also used by image builds.
 */
package dev.skiff.server.backend.local;
