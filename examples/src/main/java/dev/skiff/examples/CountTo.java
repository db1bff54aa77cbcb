package dev.skiff.examples;

import dev.skiff.App;
import dev.skiff.Generator1;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** The guide's generator example: items arrive one by one as the container yields them. */
public final class CountTo {
  static final App app = App.named("count-to");

  static final Generator1<Integer, Integer> countTo = app.generator(CountTo::countTo);

  static Stream<Integer> countTo(int n) {
    return IntStream.range(0, n).boxed();
  }

  public static void main(String[] args) {
    try (var run = app.run();
        Stream<Integer> numbers = countTo.remoteGen(10)) {
      numbers.forEach(System.out::println);
    }
  }

  private CountTo() {}
}
