package dev.skiff.e2e;

/**
 * A class on the caller's classpath whose static initializer and constructor leave a mark (a system
 * property): what a container must not be able to make the caller run by naming it in the error it
 * reports ({@link ErrorsTest}).
 */
public class ErrorGadget extends Exception {
  private static final long serialVersionUID = 1L;

  /** The system property its static initializer sets. */
  static final String INITIALIZED = "skiff.e2e.errorGadget.initialized";

  /** The system property its constructor sets. */
  static final String CONSTRUCTED = "skiff.e2e.errorGadget.constructed";

  static {
    System.setProperty("skiff.e2e.errorGadget.initialized", "yes");
  }

  public ErrorGadget(String message) {
    super(message);
    System.setProperty("skiff.e2e.errorGadget.constructed", message);
  }
}
