/**
 * Skiff's implementation: the control-plane client, the payload and error codecs, and the container
 * entrypoint. Nothing here is supported API; it may change in any release without notice.
 */
package dev.skiff.internal;
