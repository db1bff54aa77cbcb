package dev.skiff.server.common;

import java.security.SecureRandom;
import java.util.Base64;

/** Random ids and secrets. Thread-safe. */
public final class RandomIds {
  private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private RandomIds() {}

  /** A bearer token: 32 random bytes, base64url without padding. */
  public static String token() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** {@code prefix} followed by {@code length} random lowercase base32 characters. */
  public static String id(String prefix, int length) {
    StringBuilder id = new StringBuilder(prefix.length() + length).append(prefix);
    for (int i = 0; i < length; i++) {
      id.append(BASE32[RANDOM.nextInt(BASE32.length)]);
    }
    return id.toString();
  }

  /** A new app id, like {@code ap-k3j5q2m7xa}. */
  public static String appId() {
    return id("ap-", 10);
  }

  /** A new function call id, like {@code fc-q7x2m3k5jabc4de6}. */
  public static String callId() {
    return id("fc-", 16);
  }

  /**
   * A new container id, like {@code c-a7k2mq4xb3zn}: 60 random bits, so that ids are never reused
   * and cannot be guessed (the kept logs of an ended container are found by its id).
   */
  public static String containerId() {
    return id("c-", 12);
  }
}
