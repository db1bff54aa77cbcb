package dev.skiff.server.dashboard;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dashboard's login sessions, in memory: a random id (the cookie's value) and a random CSRF
 * token per session, which every action must send back. A session ends when it logs out, after
 * {@link #IDLE} without a request, or {@link #LIFETIME} after it began; at most {@link #MAX} live
 * at once (the one seen least recently makes room). A restarted server forgets them: people log in
 * again. Thread-safe.
 */
final class Sessions {
  static final Duration IDLE = Duration.ofHours(1);
  static final Duration LIFETIME = Duration.ofHours(12);
  static final int MAX = 256;

  /** One logged-in browser. */
  static final class Session {
    final String id;
    final String csrf;
    final Instant began;
    volatile Instant seen;

    Session(String id, String csrf, Instant began) {
      this.id = id;
      this.csrf = csrf;
      this.began = began;
      this.seen = began;
    }
  }

  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Session> live = new ConcurrentHashMap<>();

  Sessions(Clock clock) {
    this.clock = clock;
  }

  /** A new session. */
  Session begin() {
    Instant now = clock.instant();
    live.values().removeIf(s -> expired(s, now));
    while (live.size() >= MAX) {
      live.values().stream()
          .min(Comparator.comparing((Session s) -> s.seen))
          .ifPresent(s -> live.remove(s.id));
    }
    Session s = new Session(randomToken(), randomToken(), now);
    live.put(s.id, s);
    return s;
  }

  /** The live session with this id, marked as seen now. */
  Optional<Session> find(String id) {
    Session s = live.get(id);
    if (s == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    if (expired(s, now)) {
      live.remove(id);
      return Optional.empty();
    }
    s.seen = now;
    return Optional.of(s);
  }

  void end(String id) {
    live.remove(id);
  }

  int size() {
    return live.size();
  }

  private static boolean expired(Session s, Instant now) {
    return now.isAfter(s.seen.plus(IDLE)) || now.isAfter(s.began.plus(LIFETIME));
  }

  private String randomToken() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
