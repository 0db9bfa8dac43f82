package org.fedpeft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, "the report (report.html, tried in headless Chromium)": renders a real run's report in
 * headless Chromium and checks the screenshot. Skipped, with a message, only when no Chromium can
 * be found ({@code .ci/install-chromium} installs Debian's package). The screenshot is kept in
 * {@code target/report-tests/report.png}.
 */
class ReportScreenshotTest {

  static final int WIDTH = 1100;
  static final int HEIGHT = 2600;

  @TempDir Path profile;

  /** FEDPEFT_CHROMIUM, else chromium, chromium-browser or google-chrome on the PATH. */
  static Optional<Path> chromium() {
    List<Path> candidates = new ArrayList<>();
    String env = System.getenv("FEDPEFT_CHROMIUM");
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    }
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
          candidates.add(Path.of(dir, name));
        }
      }
    }
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }

  @Test
  void reportRendersReadablyInChromium() throws Exception {
    Optional<Path> browser = chromium();
    assumeTrue(
        browser.isPresent(),
        "no Chromium found (FEDPEFT_CHROMIUM, or chromium, chromium-browser or google-chrome on"
            + " the PATH); .ci/install-chromium installs it. The report screenshot is not checked.");
    Path report = ReportRuns.run().resolve("report.html");
    Path png = ReportRuns.ROOT.resolve("report.png");
    Files.deleteIfExists(png);
    Path log = profile.resolve("chromium.log");
    Process p =
        new ProcessBuilder(
                browser.get().toString(),
                "--headless",
                "--no-sandbox", // tests may run as root, where Chromium's sandbox refuses to start
                "--disable-gpu",
                "--hide-scrollbars",
                "--user-data-dir=" + profile.resolve("profile"),
                "--window-size=" + WIDTH + "," + HEIGHT,
                "--screenshot=" + png,
                report.toUri().toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    // A guard against a hung browser, not a synchronisation: the test reads the file it wrote.
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 60 s: " + Files.readString(log));
    }
    assertEquals(0, p.exitValue(), Files.readString(log));
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(WIDTH, img.getWidth());
    assertEquals(HEIGHT, img.getHeight());
    long inked = 0;
    int[] colours = {
      0x4e79a7, // first series of the line charts (accuracy, training loss)
      rgb(ReportWriter.UP),
      rgb(ReportWriter.DOWN),
      rgb(ReportWriter.DOWN_EVAL)
    };
    long[] seen = new long[colours.length];
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int c = img.getRGB(x, y) & 0xffffff;
        if (c != 0xffffff) {
          inked++;
        }
        for (int k = 0; k < colours.length; k++) {
          if (close(c, colours[k])) {
            seen[k]++;
          }
        }
      }
    }
    double share = inked / (double) (WIDTH * HEIGHT);
    assertTrue(share > 0.1, "the page is not blank: " + share + " of its pixels are not white");
    String[] what = {"line chart series", "up traffic", "down traffic", "evaluation broadcasts"};
    for (int k = 0; k < colours.length; k++) {
      assertTrue(seen[k] > 100, what[k] + " visible: " + seen[k] + " pixels of its colour");
    }
  }

  private static int rgb(String hex) {
    return Integer.parseInt(hex.substring(1), 16);
  }

  private static boolean close(int a, int b) {
    for (int shift = 0; shift <= 16; shift += 8) {
      if (Math.abs(((a >> shift) & 0xff) - ((b >> shift) & 0xff)) > 6) {
        return false;
      }
    }
    return true;
  }
}
