package dev.skiff.server;

/** A function that {@link RemoteContainersTest}'s pod runs from a jar of its own. */
public final class PodFunction {
  private PodFunction() {}

  /** Answers from the pod. */
  public static String echo(String value) {
    return "pod:" + value;
  }
}
