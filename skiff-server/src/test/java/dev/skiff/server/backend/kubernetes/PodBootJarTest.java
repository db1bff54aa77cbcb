package dev.skiff.server.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodBootJarTest {
  @TempDir Path dir;

  @Test
  void bootJarHoldsPodBootAndLoadsAlone() throws Exception {
    byte[] bytes = PodBootJar.bytes();
    Path jar = dir.resolve(PodBootJar.FILE_NAME);
    Files.write(jar, bytes);

    // A class loader over the jar alone (no Skiff, no test classpath) finds PodBoot and its main.
    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
      Class<?> boot = loader.loadClass(PodBootJar.MAIN_CLASS);
      assertThat(boot.getClassLoader()).isSameAs(loader);
      Method main = boot.getMethod("main", String[].class);
      assertThat(Modifier.isStatic(main.getModifiers())).isTrue();
    }
    try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(bytes))) {
      assertThat(in.getManifest().getMainAttributes().get(Attributes.Name.MAIN_CLASS))
          .isEqualTo(PodBootJar.MAIN_CLASS);
      for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
        assertThat(e.getName()).startsWith("dev/");
      }
    }
  }

  @Test
  void sameClassesGiveTheSameBytes() throws IOException {
    assertThat(PodBootJar.bytes()).isEqualTo(PodBootJar.bytes());
  }
}
