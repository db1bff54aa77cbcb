package dev.skiff.server.web;

import dev.skiff.server.auth.Tokens;
import dev.skiff.server.common.RandomIds;
import dev.skiff.server.common.Statuses;
import dev.skiff.server.store.StoredWebToken;
import dev.skiff.server.store.TokenStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The credentials of web endpoints that require auth: each a key id ({@code wk-...}, sent in the
 * {@code Skiff-Key} header) and a secret ({@code ws-...}, sent in {@code Skiff-Secret}).
 *
 * <p>A web token can call web endpoints and nothing else: it is not a {@link Tokens bearer token},
 * so the gRPC API never admits it, and the web gateway never forwards it to a function. Only the
 * SHA-256 digest of a secret is kept (the secret is 32 random bytes, so a fast digest is as good as
 * a slow one); the secret itself exists only in the answer to {@link #create}.
 *
 * <p>The tokens are kept in the control plane's store: on the server they survive a restart; an
 * embedded control plane's store keeps them in memory for its lifetime. Either way the gateway
 * checks the in-memory view, so a revocation refuses the next request. Thread-safe.
 */
public final class WebTokens {
  /** The request header that carries a web token's key id. */
  static final String KEY_HEADER = "Skiff-Key";

  /** The request header that carries a web token's secret. */
  static final String SECRET_HEADER = "Skiff-Secret";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}");

  /**
   * A token just created.
   *
   * @param token what is kept of it
   * @param secret its secret, shown once
   */
  public record Created(StoredWebToken token, String secret) {}

  private final TokenStore store;
  private final Clock clock;
  // Guards creation and revocation, so that memory and the store change in the same order.
  private final Object lock = new Object();
  private final ConcurrentHashMap<String, StoredWebToken> byKey = new ConcurrentHashMap<>();

  private WebTokens(TokenStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
    store.webTokens().forEach(t -> byKey.put(t.keyId(), t));
  }

  /** Tokens kept in {@code store}, with those stored before loaded now. */
  public static WebTokens in(TokenStore store, Clock clock) {
    return new WebTokens(store, clock);
  }

  /**
   * Creates a token.
   *
   * @param name a label for people: empty, or 1-64 of {@code [A-Za-z0-9_.-]} starting with a letter
   *     or digit
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT for a name that is not allowed
   */
  public Created create(String name) {
    if (!name.isEmpty() && !NAME.matcher(name).matches()) {
      throw Statuses.invalid(
          "web token name '"
              + name
              + "' is not allowed; use 1-64 of [A-Za-z0-9_.-], starting"
              + " with a letter or digit");
    }
    String secret = "ws-" + RandomIds.token();
    StoredWebToken token =
        new StoredWebToken(RandomIds.id("wk-", 20), name, clock.instant(), digest(secret));
    synchronized (lock) {
      store.addWebToken(token).join(); // durable before it is usable
      byKey.put(token.keyId(), token);
    }
    return new Created(token, secret);
  }

  /** Every token, oldest first. */
  public List<StoredWebToken> list() {
    return byKey.values().stream()
        .sorted(
            Comparator.comparing(StoredWebToken::createdAt).thenComparing(StoredWebToken::keyId))
        .toList();
  }

  /**
   * Revokes a token: the gateway refuses it from now on.
   *
   * @throws io.grpc.StatusRuntimeException NOT_FOUND if there is no token {@code keyId}
   */
  public void revoke(String keyId) {
    synchronized (lock) {
      if (!byKey.containsKey(keyId)) {
        throw Statuses.notFound(
            "web token '" + keyId + "' not found; 'skiff token list' shows the web tokens");
      }
      // Durably first: a revocation the store did not take fails as a whole (the token still
      // works, and the caller may try again), rather than coming back after a restart.
      store.deleteWebToken(keyId).join();
      byKey.remove(keyId);
    }
  }

  /** Whether {@code secret} is the secret of the live token {@code keyId}. */
  boolean admits(String keyId, String secret) {
    Optional<StoredWebToken> token = Optional.ofNullable(byKey.get(keyId));
    byte[] given = digest(secret);
    return token.isPresent() && MessageDigest.isEqual(given, token.get().secretSha256());
  }

  private static byte[] digest(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
