package dev.skiff.server.backend.kubernetes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * The jar a pod boots from ({@code skiff-pod-boot.jar}, shipped in the {@code skiff-boot}
 * ConfigMap): the class files of package {@code dev.skiff.boot} (the SDK's {@code PodBoot}, which
 * uses the JDK only), found on the server's own classpath, in a jar built in memory whose manifest
 * names {@code PodBoot} as its main class.
 *
 * <p>The classes are listed by walking the package's directory, in the SDK's jar or in a class
 * directory (a build's {@code target/classes}), so that a class added to the package is shipped
 * without a list to keep. The jar is built once and its bytes kept; entries are sorted and carry a
 * fixed time, so the same classes give the same bytes. Thread-safe.
 */
public final class PodBootJar {
  /** The class a pod runs. */
  public static final String MAIN_CLASS = "dev.skiff.boot.PodBoot";

  /** The jar's file name in the ConfigMap and in the pod ({@code /skiff/boot/...}). */
  public static final String FILE_NAME = "skiff-pod-boot.jar";

  private static final String PACKAGE_DIR = "dev/skiff/boot";

  /** 1980-01-01, the earliest time a zip entry holds: the same classes give the same bytes. */
  private static final long ENTRY_TIME = 315_532_800_000L;

  private PodBootJar() {}

  private static final class Built {
    static final byte[] BYTES = build();
  }

  /**
   * The jar's bytes (a copy; the jar is built once).
   *
   * @throws IllegalStateException if the server's classpath lacks package {@code dev.skiff.boot}
   */
  public static byte[] bytes() {
    return Built.BYTES.clone();
  }

  private static byte[] build() {
    ClassLoader loader = PodBootJar.class.getClassLoader();
    List<String> classes = classNames(loader);
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, MAIN_CLASS);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JarOutputStream jar = new JarOutputStream(out)) {
      JarEntry m = new JarEntry("META-INF/MANIFEST.MF");
      m.setTime(ENTRY_TIME);
      jar.putNextEntry(m);
      manifest.write(jar);
      jar.closeEntry();
      for (String dir : List.of("dev/", "dev/skiff/", PACKAGE_DIR + "/")) {
        JarEntry d = new JarEntry(dir);
        d.setTime(ENTRY_TIME);
        jar.putNextEntry(d);
        jar.closeEntry();
      }
      for (String name : classes) {
        String resource = PACKAGE_DIR + "/" + name;
        try (InputStream in = loader.getResourceAsStream(resource)) {
          if (in == null) {
            throw new IllegalStateException(resource + " is listed but cannot be read");
          }
          JarEntry e = new JarEntry(resource);
          e.setTime(ENTRY_TIME);
          jar.putNextEntry(e);
          in.transferTo(jar);
          jar.closeEntry();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not build " + FILE_NAME, e);
    }
    return out.toByteArray();
  }

  /** The class files of the package, sorted, found where {@code PodBoot.class} is. */
  private static List<String> classNames(ClassLoader loader) {
    URL main = loader.getResource(PACKAGE_DIR + "/PodBoot.class");
    if (main == null) {
      throw new IllegalStateException(
          MAIN_CLASS + " is not on the server's classpath; the server needs the Skiff SDK");
    }
    try {
      return switch (main.getProtocol()) {
        case "file" -> list(Path.of(main.toURI()).getParent());
        case "jar" -> {
          String url = main.toString();
          URI jarUri = URI.create(url.substring(0, url.indexOf("!/")));
          Path jarFile = Path.of(URI.create(jarUri.getSchemeSpecificPart()));
          try (FileSystem fs = FileSystems.newFileSystem(jarFile, Map.of())) {
            yield list(fs.getPath(PACKAGE_DIR));
          }
        }
        default ->
            throw new IllegalStateException(
                "cannot list package dev.skiff.boot at "
                    + main
                    + "; a jar or a directory is needed");
      };
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException("cannot list package dev.skiff.boot at " + main, e);
    }
  }

  private static List<String> list(Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.class")) {
      files.forEach(f -> names.add(f.getFileName().toString()));
    }
    names.sort(null);
    return names;
  }
}
