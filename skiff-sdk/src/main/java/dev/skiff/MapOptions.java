package dev.skiff;

/**
 * How {@code map} returns its results.
 *
 * @param ordered whether results come in input order (the default) or as they complete
 */
public record MapOptions(boolean ordered) {
  /** Results in input order (the default). */
  public static MapOptions defaults() {
    return new MapOptions(true);
  }

  /** Results as they complete, whatever their position. */
  public static MapOptions unordered() {
    return new MapOptions(false);
  }
}
