package com.example.greetings;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.skiff.testing.SkiffExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The project's own test: {@code greet} in a container of an embedded control plane. */
class GreetingsTest {
  @RegisterExtension static final SkiffExtension skiff = SkiffExtension.create();

  @Test
  void greetsInAContainer() {
    try (var run = Greetings.app.run()) {
      assertEquals("Hello, Ada, from a container!", Greetings.greet.remote("Ada"));
    }
  }
}
