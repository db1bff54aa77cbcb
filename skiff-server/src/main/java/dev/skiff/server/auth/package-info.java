/**
 * Who is calling, internal: the client token and the per-container tokens ({@code Tokens}), the
 * principal of each call ({@code Principal}, set by {@code TokenInterceptor} and read through
 * {@code PrincipalFilter}) and what each principal may do ({@code Permissions}).
 *
 * <p><b>Owns:</b> the tokens of live containers (in memory; the client token is kept by the store).
 *
 * <p><b>May use:</b> {@code common}.
 */
package dev.skiff.server.auth;
