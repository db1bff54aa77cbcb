/**
 * Container backends: where the control plane's containers run. {@link
 * dev.skiff.server.backend.LocalProcessBackend} runs them as child JVMs of this process.
 */
package dev.skiff.server.backend;
