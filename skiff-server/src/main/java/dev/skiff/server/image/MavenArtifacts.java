package dev.skiff.server.image;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.collection.CollectRequest;
import org.eclipse.aether.graph.Dependency;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.resolution.DependencyRequest;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.supplier.RepositorySystemSupplier;
import org.eclipse.aether.supplier.SessionBuilderSupplier;
import org.eclipse.aether.transfer.AbstractTransferListener;
import org.eclipse.aether.transfer.TransferEvent;
import org.eclipse.aether.util.artifact.JavaScopes;
import org.eclipse.aether.util.filter.DependencyFilterUtils;

/**
 * Resolves Maven coordinates with their runtime dependencies from Maven Central into a local
 * repository (the control plane's {@code <data-dir>/maven}), with Maven Resolver configured as
 * Maven 3 does (scopes, exclusions, nearest-wins conflict resolution). Thread-safe: the resolver
 * locks the local repository for concurrent use.
 */
final class MavenArtifacts {
  static final String CENTRAL = "https://repo.maven.apache.org/maven2/";

  private final Path localRepository;

  MavenArtifacts(Path localRepository) {
    this.localRepository = localRepository;
  }

  /**
   * The jar files of {@code coordinates} and their runtime dependencies, in classpath order.
   *
   * @param log told of each download
   * @throws ImageBuildFailure naming the step and what could not be resolved
   */
  List<Path> resolve(String step, List<String> coordinates, Consumer<String> log) {
    RepositorySystem system = new RepositorySystemSupplier().get();
    try (RepositorySystemSession.CloseableSession session =
        new SessionBuilderSupplier(system)
            .get()
            .withLocalRepositoryBaseDirectories(localRepository)
            .setSystemProperties(System.getProperties())
            .setTransferListener(
                new AbstractTransferListener() {
                  @Override
                  public void transferSucceeded(TransferEvent event) {
                    log.accept(
                        "downloaded "
                            + event.getResource().getRepositoryUrl()
                            + event.getResource().getResourceName());
                  }
                })
            .build()) {
      CollectRequest collect = new CollectRequest();
      for (String coordinate : coordinates) {
        DefaultArtifact artifact;
        try {
          artifact = new DefaultArtifact(coordinate);
        } catch (IllegalArgumentException e) {
          throw new ImageBuildFailure(
              step, "'" + coordinate + "' is not a Maven coordinate: " + e.getMessage(), "");
        }
        collect.addDependency(new Dependency(artifact, JavaScopes.RUNTIME));
      }
      RemoteRepository central =
          new RemoteRepository.Builder("central", "default", CENTRAL).build();
      collect.setRepositories(system.newResolutionRepositories(session, List.of(central)));
      DependencyRequest request =
          new DependencyRequest(collect, DependencyFilterUtils.classpathFilter(JavaScopes.RUNTIME));
      List<Path> jars = new ArrayList<>();
      try {
        for (ArtifactResult r : system.resolveDependencies(session, request).getArtifactResults()) {
          log.accept("resolved " + r.getArtifact());
          jars.add(r.getArtifact().getPath());
        }
      } catch (DependencyResolutionException e) {
        throw new ImageBuildFailure(
            step, "could not resolve " + coordinates + ": " + rootMessage(e), "");
      }
      return jars;
    } finally {
      system.shutdown();
    }
  }

  private static String rootMessage(Throwable t) {
    StringBuilder out = new StringBuilder(String.valueOf(t.getMessage()));
    for (Throwable c = t.getCause(); c != null && c != t; c = c.getCause()) {
      if (c.getMessage() != null && !out.toString().contains(c.getMessage())) {
        out.append("; ").append(c.getMessage());
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return out.toString();
  }
}
