package dev.skiff;

/** Rethrows a checked exception without declaring it, as calling the method directly would. */
final class Sneaky {
  private Sneaky() {}

  // The type parameter exists to be inferred as an unchecked exception at the call: the point.
  @SuppressWarnings({"unchecked", "TypeParameterUnusedInFormals"})
  static <E extends Throwable> E rethrow(Throwable t) throws E {
    throw (E) t;
  }
}
