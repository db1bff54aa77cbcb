/**
 * Skiff's supported API: {@link dev.skiff.App} and the handles it returns ({@code Function0..4},
 * {@code Generator0..4}, {@link dev.skiff.FunctionCall}, {@link dev.skiff.RemoteFunction}), the
 * options of functions and runs, images, secrets, volumes, schedules, and the exceptions under
 * {@link dev.skiff.SkiffException}. Everything else in the SDK is in {@code dev.skiff.internal},
 * which promises no compatibility.
 *
 * <p><b>May use:</b> {@code dev.skiff.internal} (the machinery each public type hands over to).
 */
package dev.skiff;
