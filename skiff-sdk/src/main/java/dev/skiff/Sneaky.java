package dev.skiff;

/** Rethrows a checked exception without declaring it, as calling the method directly would. */
final class Sneaky {
  private Sneaky() {}

  @SuppressWarnings("unchecked")
  static <E extends Throwable> E rethrow(Throwable t) throws E {
    throw (E) t;
  }
}
