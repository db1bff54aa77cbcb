/**
 * Secrets, internal: the encrypted secret store ({@code SecretStore}) and the environment each
 * function's containers get from the secrets it names ({@code SecretEnvironments}).
 *
 * <p><b>Owns:</b> the secrets file under the data directory.
 *
 * <p><b>May use:</b> {@code common}.
 */
package dev.skiff.server.secrets;
