package dev.skiff;

import java.time.Duration;
import java.util.Objects;

/**
 * How often and how patiently a failed input is retried. An input is retried when the user's code
 * throws, when its container crashes and when an attempt times out; never when it was cancelled.
 * The delay before retry {@code k} (1-based) is {@code min(maxDelay, initialDelay *
 * backoffCoefficient^(k-1))}.
 *
 * <p>Immutable and thread-safe. Build with {@link #builder()} or {@link #of(int)}.
 */
public final class Retries {
  static final int MAX_RETRIES = 10;
  static final Duration MAX_INITIAL_DELAY = Duration.ofSeconds(60);
  static final Duration MIN_MAX_DELAY = Duration.ofSeconds(1);
  static final Duration MAX_MAX_DELAY = Duration.ofSeconds(60);

  private final int maxRetries;
  private final Duration initialDelay;
  private final double backoffCoefficient;
  private final Duration maxDelay;

  private Retries(Builder b) {
    this.maxRetries = b.maxRetries;
    this.initialDelay = b.initialDelay;
    this.backoffCoefficient = b.backoffCoefficient;
    this.maxDelay = b.maxDelay;
  }

  /**
   * {@code n} retries with a fixed delay of one second, like the seed's {@code retries=n}.
   *
   * @throws InvalidConfigurationException if {@code n} is outside 0..10
   */
  public static Retries of(int n) {
    return builder().maxRetries(n).backoffCoefficient(1.0).build();
  }

  /** A builder with the defaults: 0 retries, 1 s initial delay, coefficient 2.0, 60 s max delay. */
  public static Builder builder() {
    return new Builder();
  }

  /** How many times a failed input is tried again (0..10). */
  public int maxRetries() {
    return maxRetries;
  }

  /** The delay before the first retry. */
  public Duration initialDelay() {
    return initialDelay;
  }

  /** The factor by which each delay grows over the one before. */
  public double backoffCoefficient() {
    return backoffCoefficient;
  }

  /** The longest delay between two attempts. */
  public Duration maxDelay() {
    return maxDelay;
  }

  /** The delay before retry {@code k}, counting from 1. */
  public Duration delayBeforeRetry(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("retry number must be >= 1, was " + k);
    }
    double millis = (double) initialDelay.toMillis() * Math.pow(backoffCoefficient, k - 1);
    return Duration.ofMillis((long) Math.min((double) maxDelay.toMillis(), millis));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Retries r
        && r.maxRetries == maxRetries
        && r.initialDelay.equals(initialDelay)
        && r.backoffCoefficient == backoffCoefficient
        && r.maxDelay.equals(maxDelay);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxRetries, initialDelay, backoffCoefficient, maxDelay);
  }

  @Override
  public String toString() {
    return "Retries[maxRetries="
        + maxRetries
        + ", initialDelay="
        + initialDelay
        + ", backoffCoefficient="
        + backoffCoefficient
        + ", maxDelay="
        + maxDelay
        + "]";
  }

  /** Builds {@link Retries}; each setter validates its value at once. Not thread-safe. */
  public static final class Builder {
    private int maxRetries = 0;
    private Duration initialDelay = Duration.ofSeconds(1);
    private double backoffCoefficient = 2.0;
    private Duration maxDelay = MAX_MAX_DELAY;

    private Builder() {}

    /**
     * Sets how many times a failed input is retried (0, the default, means never).
     *
     * @throws InvalidConfigurationException if {@code n} is outside 0..10
     */
    public Builder maxRetries(int n) {
      if (n < 0 || n > MAX_RETRIES) {
        throw new InvalidConfigurationException(
            "retries: maxRetries was " + n + "; allowed is 0.." + MAX_RETRIES);
      }
      this.maxRetries = n;
      return this;
    }

    /**
     * Sets how long to wait before the first retry (1 s by default).
     *
     * @throws InvalidConfigurationException if {@code d} is outside 0..60 s
     */
    public Builder initialDelay(Duration d) {
      Objects.requireNonNull(d, "initialDelay");
      if (d.isNegative() || d.compareTo(MAX_INITIAL_DELAY) > 0) {
        throw new InvalidConfigurationException(
            "retries: initialDelay was " + d + "; allowed is 0s..60s");
      }
      this.initialDelay = d;
      return this;
    }

    /**
     * Sets the factor by which each retry's delay grows over the last (2.0 by default).
     *
     * @throws InvalidConfigurationException if {@code c} is outside 1.0..10.0
     */
    public Builder backoffCoefficient(double c) {
      if (!(c >= 1.0 && c <= 10.0)) {
        throw new InvalidConfigurationException(
            "retries: backoffCoefficient was " + c + "; allowed is 1.0..10.0");
      }
      this.backoffCoefficient = c;
      return this;
    }

    /**
     * Sets the longest delay between two attempts (60 s by default).
     *
     * @throws InvalidConfigurationException if {@code d} is outside 1..60 s
     */
    public Builder maxDelay(Duration d) {
      Objects.requireNonNull(d, "maxDelay");
      if (d.compareTo(MIN_MAX_DELAY) < 0 || d.compareTo(MAX_MAX_DELAY) > 0) {
        throw new InvalidConfigurationException(
            "retries: maxDelay was " + d + "; allowed is 1s..60s");
      }
      this.maxDelay = d;
      return this;
    }

    /** The immutable policy. */
    public Retries build() {
      return new Retries(this);
    }
  }
}
