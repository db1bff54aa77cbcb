package dev.skiff.examples;

import dev.skiff.App;
import dev.skiff.Function1;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The guide's advice to keep functions focused: {@code extract}, {@code transform} and a {@code
 * pipeline} that calls both remotely from inside its own container.
 */
public final class Composition {
  static final App app = App.named("etl");

  static final Function1<Integer, List<Integer>> extract = app.function(Composition::extract);
  static final Function1<List<Integer>, Integer> transform = app.function(Composition::transform);
  static final Function1<Integer, String> pipeline = app.function(Composition::pipeline);

  static List<Integer> extract(int n) {
    return IntStream.rangeClosed(1, n).boxed().toList();
  }

  static Integer transform(List<Integer> data) {
    return data.stream().mapToInt(i -> i * i).sum();
  }

  static String pipeline(int n) {
    List<Integer> data = extract.remote(n); // another container
    int sumOfSquares = transform.remote(data); // and another
    return "sum of squares 1.."
        + n
        + " = "
        + sumOfSquares
        + " (pipeline ran in pid "
        + ProcessHandle.current().pid()
        + ")";
  }

  public static void main(String[] args) {
    try (var run = app.run()) {
      System.out.println(pipeline.remote(10));
    }
  }

  private Composition() {}
}
