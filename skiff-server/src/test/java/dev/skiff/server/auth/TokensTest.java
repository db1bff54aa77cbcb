package dev.skiff.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokensTest {
  private final Tokens tokens = Tokens.random();

  @Test
  void clientTokenIsRandomBase64UrlOf32Bytes() {
    assertThat(tokens.clientToken()).matches("[A-Za-z0-9_-]{43}");
    assertThat(Tokens.random().clientToken()).isNotEqualTo(tokens.clientToken());
    assertThat(tokens.authenticate(tokens.clientToken())).contains(new Principal.Client());
  }

  @Test
  void containerTokenNamesItsContainerAndAppUntilRevoked() {
    String token = tokens.issue("c-abcdef", "ap-1");
    assertThat(tokens.authenticate(token)).contains(new Principal.Container("c-abcdef", "ap-1"));
    tokens.revoke(token);
    assertThat(tokens.authenticate(token)).isEmpty();
  }

  @Test
  void unknownTokensAreNobody() {
    assertThat(tokens.authenticate("")).isEmpty();
    assertThat(tokens.authenticate(tokens.clientToken() + "x")).isEmpty();
  }
}
