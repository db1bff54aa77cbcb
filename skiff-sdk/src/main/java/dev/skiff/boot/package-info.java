/**
 * The first code a Kubernetes pod runs ({@link dev.skiff.boot.PodBoot}): it fetches the app's jars
 * from the control plane into the pod's cache, checks their SHA-256s and starts the container
 * entrypoint from them. It is shipped alone, as a small jar in a ConfigMap, so it uses the JDK's
 * classes only and nothing else of Skiff. Not supported API.
 */
package dev.skiff.boot;
