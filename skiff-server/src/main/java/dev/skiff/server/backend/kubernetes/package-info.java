/**
 * The Kubernetes container backend: each container a pod of a cluster ({@link
 * dev.skiff.server.backend.kubernetes.KubernetesBackend}), made by {@link
 * dev.skiff.server.backend.kubernetes.KubernetesBackendProvider} under the name {@code kubernetes}.
 * {@link dev.skiff.server.backend.kubernetes.PodManifests} makes the objects (pod, secret, the
 * app's owner config map, volume claims, the boot jar's config map), {@link
 * dev.skiff.server.backend.kubernetes.PodContainer} follows one pod through an informer, and the
 * backend's placement refuses requests that no node of the {@link
 * dev.skiff.server.backend.kubernetes.NodeInventory} could hold.
 *
 * <p>Owns: the Kubernetes objects it creates (labelled {@code app.kubernetes.io/managed-by=skiff}
 * and with its control plane's id) and the cluster client. May use: the backend SPI ({@code
 * dev.skiff.server.backend}), {@code dev.skiff.server.common}, the SDK's container-environment
 * contract ({@code dev.skiff.internal.container.ContainerEnvironment}), fabric8's Kubernetes client
 * and the JDK; never the control plane. It is the only package that uses the Kubernetes client.
 */
package dev.skiff.server.backend.kubernetes;
