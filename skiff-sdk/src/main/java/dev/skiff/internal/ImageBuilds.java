package dev.skiff.internal;

import com.google.protobuf.ByteString;
import dev.skiff.Image;
import dev.skiff.ImageBuildException;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.SkiffException;
import dev.skiff.proto.AddLocalStep;
import dev.skiff.proto.DebianSlimStep;
import dev.skiff.proto.ImageApiGrpc;
import dev.skiff.proto.ImageBuildEvent;
import dev.skiff.proto.ImageEnvStep;
import dev.skiff.proto.ImageFile;
import dev.skiff.proto.ImageRecipe;
import dev.skiff.proto.ImageStep;
import dev.skiff.proto.StringList;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Builds the images of an app on its control plane before the app is created: sends each recipe
 * (with the content of its local files), prints the build's output as {@code [image 1a2b3c] ...}
 * lines when logs are shown, and turns a failed build into an {@link ImageBuildException}.
 */
public final class ImageBuilds {
  /** The most bytes of local files one image may add. */
  static final long MAX_LOCAL_BYTES = 256L * 1024 * 1024;

  private ImageBuilds() {}

  /** What a build answered: the image's id, whether it was cached, and how long it took. */
  public record Built(String imageId, boolean cached, long elapsedMillis) {}

  /**
   * Builds (or finds built) {@code image} on the control plane that {@code client} talks to.
   *
   * @param showLogs print the build's output on this program's console
   * @throws ImageBuildException if a step fails
   * @throws InvalidConfigurationException if a local file cannot be read
   */
  public static Built build(SkiffClient client, Image image, boolean showLogs) {
    ImageRecipe recipe = recipe(image);
    Iterator<ImageBuildEvent> events;
    try {
      events = ImageApiGrpc.newBlockingStub(client.channel()).buildImage(recipe);
      while (events.hasNext()) {
        ImageBuildEvent event = events.next();
        switch (event.getEventCase()) {
          case LOG -> {
            if (showLogs) {
              print(System.out, event.getLog());
            }
          }
          case BUILT -> {
            var b = event.getBuilt();
            return new Built(b.getImageId(), b.getCached(), b.getElapsedMs());
          }
          case FAILED -> {
            var f = event.getFailed();
            throw new ImageBuildException(f.getStep(), f.getMessage(), f.getOutput());
          }
          case EVENT_NOT_SET -> {}
        }
      }
    } catch (SkiffException e) {
      throw e;
    } catch (RuntimeException e) {
      throw client.translate(e);
    }
    throw new SkiffException("the control plane ended the image build without a result");
  }

  private static void print(PrintStream out, String line) {
    out.println(line);
  }

  /** The recipe as sent: local files are read now. */
  static ImageRecipe recipe(Image image) {
    ImageRecipe.Builder recipe = ImageRecipe.newBuilder();
    long[] bytes = {0};
    for (Image.Step step : image.steps()) {
      ImageStep.Builder s = ImageStep.newBuilder();
      switch (step) {
        case Image.Step.Jdk j -> s.setJdk(j.version());
        case Image.Step.DebianSlim d -> s.setDebianSlim(DebianSlimStep.getDefaultInstance());
        case Image.Step.Maven m -> s.setMaven(list(m.coordinates()));
        case Image.Step.AptInstall a -> s.setAptInstall(list(a.packages()));
        case Image.Step.Env e ->
            s.setEnv(ImageEnvStep.newBuilder().setName(e.name()).setValue(e.value()));
        case Image.Step.AddLocal a -> s.setAddLocal(addLocal(a, bytes));
        case Image.Step.Workdir w -> s.setWorkdir(w.path());
        case Image.Step.RunCommands r -> s.setRunCommands(list(r.commands()));
        case Image.Step.Registry r -> s.setRegistry(r.reference());
      }
      recipe.addSteps(s);
    }
    return recipe.build();
  }

  private static StringList list(List<String> values) {
    return StringList.newBuilder().addAllValues(values).build();
  }

  private static AddLocalStep addLocal(Image.Step.AddLocal step, long[] bytes) {
    Path source = step.source().toAbsolutePath().normalize();
    AddLocalStep.Builder b =
        AddLocalStep.newBuilder().setSource(source.toString()).setTarget(step.target());
    try {
      if (Files.isRegularFile(source)) {
        b.addFiles(file(source, "", bytes));
      } else if (Files.isDirectory(source)) {
        b.setDirectory(true);
        try (Stream<Path> walk = Files.walk(source)) {
          for (Path p :
              walk.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList()) {
            String relative = source.relativize(p).toString().replace('\\', '/');
            b.addFiles(file(p, relative, bytes));
          }
        }
      } else {
        throw new InvalidConfigurationException(
            "image: local path '" + source + "' (to " + step.target() + ") does not exist");
      }
    } catch (IOException e) {
      throw new InvalidConfigurationException(
          "image: could not read local path '" + source + "': " + e.getMessage(), e);
    }
    return b.build();
  }

  private static ImageFile file(Path p, String relative, long[] bytes) throws IOException {
    bytes[0] += Files.size(p);
    if (bytes[0] > MAX_LOCAL_BYTES) {
      throw new InvalidConfigurationException(
          "image: local files add more than "
              + (MAX_LOCAL_BYTES >> 20)
              + " MiB (at "
              + p
              + "); put large data in a volume");
    }
    return ImageFile.newBuilder()
        .setPath(relative)
        .setContent(ByteString.copyFrom(Files.readAllBytes(p)))
        .setExecutable(Files.isExecutable(p))
        .build();
  }
}
