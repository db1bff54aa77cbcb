package dev.skiff.e2e.dashboard;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium driven by Debian's chromedriver, for the dashboard's tests: it keeps every page
 * source it was asked for, and writes screenshots under {@code target/dashboard-screenshots}.
 */
final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Path.of("target", "dashboard-screenshots");

  final ChromeDriver driver;
  private final Path profile;
  private final List<String> sources = new ArrayList<>();

  Browser(int width) throws IOException {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      throw new IllegalStateException(
          "the dashboard's browser tests need Debian's chromium and chromium-driver"
              + " (bin/test installs them): "
              + CHROMIUM
              + " or "
              + CHROMEDRIVER
              + " is missing");
    }
    profile = Files.createTempDirectory("skiff-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox", // the tests may run as root, where Chromium's own sandbox refuses to start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--window-size=" + width + ",1000",
        "--user-data-dir=" + profile);
    options.setAcceptInsecureCerts(true); // the test server's certificate is its own
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, options);
  }

  /** Opens {@code url}. */
  void open(String url) {
    driver.get(url);
  }

  /** The current page's source, kept for {@link #sources()}. */
  String source() {
    String s = driver.getPageSource();
    sources.add(s);
    return s;
  }

  /** Every page source read so far. */
  List<String> sources() {
    return List.copyOf(sources);
  }

  /** Writes a screenshot of the current page as {@code <name>.png}, and keeps its source. */
  void screenshot(String name) {
    source();
    try {
      Files.createDirectories(SCREENSHOTS);
      File shot = driver.getScreenshotAs(OutputType.FILE);
      Files.copy(
          shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
      Files.deleteIfExists(shot.toPath());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> walk = Files.walk(profile)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
