/**
 * Recent activity, internal: what the control plane remembers of each function's latest calls
 * (kind, state, times, attempts, errors) and of its last hour (calls, failures, durations and cold
 * starts per minute), in memory and bounded, for people to look at ({@code ClientApi.ListCalls},
 * {@code GetFunctionStats}, the dashboard). It is not the durable record of calls (the store is).
 *
 * <p><b>Owns:</b> {@code Activity} (every function's record, and those of functions stopped
 * lately), {@code FunctionActivity} (one function's), {@code CallRecord} (one call's).
 *
 * <p><b>May use:</b> nothing of the server's.
 */
package dev.skiff.server.activity;
