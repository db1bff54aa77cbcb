package dev.skiff;

import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.BaseStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/** Turns what a generator method returns into a stream. */
final class Generators {
  private Generators() {}

  static Stream<?> toStream(Object produced) {
    if (produced == null) {
      return Stream.empty();
    }
    if (produced instanceof Stream<?> s) {
      return s;
    }
    if (produced instanceof BaseStream<?, ?> b) {
      return StreamSupport.stream(
              Spliterators.spliteratorUnknownSize(b.iterator(), Spliterator.ORDERED), false)
          .onClose(b::close);
    }
    if (produced instanceof Iterator<?> it) {
      return StreamSupport.stream(
          Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED), false);
    }
    if (produced instanceof Iterable<?> it) {
      return StreamSupport.stream(it.spliterator(), false);
    }
    throw new IllegalStateException(
        "a generator returned "
            + produced.getClass().getName()
            + "; expected a Stream, Iterator or Iterable");
  }
}
