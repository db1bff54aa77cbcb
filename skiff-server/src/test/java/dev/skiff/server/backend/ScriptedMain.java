package dev.skiff.server.backend;

/** A stand-in container entrypoint whose behaviour the test picks with {@code TEST_MODE}. */
public final class ScriptedMain {
  private ScriptedMain() {}

  public static void main(String[] args) throws InterruptedException {
    System.out.println("id=" + System.getenv("SKIFF_CONTAINER_ID"));
    System.out.println("parent=" + System.getenv("SKIFF_PARENT_PID"));
    switch (System.getenv("TEST_MODE")) {
      case "crash" -> {
        for (int i = 1; i <= 60; i++) {
          System.err.println("err " + i);
        }
        System.exit(3);
      }
      case "fake-oom" -> {
        System.err.println("before");
        System.out.println("Terminating due to java.lang.OutOfMemoryError: Java heap space");
        System.exit(3);
      }
      case "sleep" -> {
        System.out.println("sleeping");
        Thread.sleep(Long.MAX_VALUE);
      }
      default -> System.exit(0);
    }
  }
}
