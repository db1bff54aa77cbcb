package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.skiff.AppRun;
import dev.skiff.PayloadException;
import dev.skiff.RemoteFunctionException;
import dev.skiff.RunOptions;
import dev.skiff.internal.ErrorCodec;
import dev.skiff.testing.SkiffExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Exceptions and bad payloads, end to end. */
@Tag("e2e")
class ErrorsTest {
  @RegisterExtension
  final SkiffExtension skiff = SkiffExtension.builder().withoutWarmContainers().build();

  AppRun run;

  @BeforeEach
  void startApp() {
    run = Fns.app.run(RunOptions.quiet());
  }

  @AfterEach
  void stopApp() {
    run.close();
  }

  @Test
  void usersUncheckedExceptionIsRethrownAsItsOwnTypeWithRemoteFramesAndCause() {
    Throwable t = catchThrowable(() -> Fns.throwIllegalArgument.remote("x"));
    assertThat(t)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bad input: x")
        .hasCauseInstanceOf(UncheckedIOException.class)
        .hasRootCauseInstanceOf(IOException.class)
        .hasRootCauseMessage("disk on fire");
    List<StackTraceElement> frames = Arrays.asList(t.getStackTrace());
    assertThat(frames)
        .anySatisfy(
            f -> {
              assertThat(f.getClassLoaderName()).isEqualTo(ErrorCodec.REMOTE_MARK);
              assertThat(f.getClassName()).isEqualTo(Fns.class.getName());
              assertThat(f.getMethodName()).isEqualTo("throwIllegalArgument");
            });
    // Then the caller's own frames, so the trace also shows where the call was made.
    assertThat(frames)
        .anySatisfy(f -> assertThat(f.getClassName()).isEqualTo(ErrorsTest.class.getName()));
    assertThat(frames)
        .noneSatisfy(f -> assertThat(f.getClassName()).startsWith("dev.skiff.internal.container"));
  }

  @Test
  void exceptionTypeMissingOnTheCallersSideArrivesAsRemoteFunctionException(@TempDir Path dir)
      throws IOException {
    Path src = dir.resolve("src/ghost/GhostException.java");
    Files.createDirectories(src.getParent());
    Files.writeString(
        src,
        "package ghost; public class GhostException extends RuntimeException {"
            + " public GhostException(String m) { super(m); } }");
    Path classes = Files.createDirectories(dir.resolve("classes"));
    int rc =
        ToolProvider.getSystemJavaCompiler()
            .run(null, null, null, "-d", classes.toString(), src.toString());
    assertThat(rc).isZero();

    Throwable t = catchThrowable(() -> Fns.throwGhost.remote(classes.toString()));
    assertThat(t)
        .isInstanceOf(RemoteFunctionException.class)
        .hasMessage("ghost.GhostException: boo");
    RemoteFunctionException r = (RemoteFunctionException) t;
    assertThat(r.remoteClassName()).isEqualTo("ghost.GhostException");
    assertThat(r.remoteMessage()).contains("boo");
    assertThat(r.getStackTrace())
        .anySatisfy(f -> assertThat(f.getMethodName()).isEqualTo("throwGhost"));
  }

  @Test
  void aContainerNamingAClassOfTheCallersCannotMakeTheCallerInitializeOrConstructIt(
      @TempDir Path dir) throws IOException {
    // The function defines, in a class loader of its own, harmless exceptions under the names of
    // classes the caller has: a class whose static initializer and constructor leave a mark, and
    // one of Skiff's own failures.
    Path classes = Files.createDirectories(dir.resolve("classes"));
    for (String name : List.of("dev.skiff.e2e.ErrorGadget", "dev.skiff.FunctionTimeoutException")) {
      int dot = name.lastIndexOf('.');
      Path src = dir.resolve("src/" + name.replace('.', '/') + ".java");
      Files.createDirectories(src.getParent());
      Files.writeString(
          src,
          "package "
              + name.substring(0, dot)
              + "; public class "
              + name.substring(dot + 1)
              + " extends RuntimeException { public "
              + name.substring(dot + 1)
              + "(String m) { super(m); } }");
      assertThat(
              ToolProvider.getSystemJavaCompiler()
                  .run(null, null, null, "-d", classes.toString(), src.toString()))
          .isZero();
    }

    Throwable gadget =
        catchThrowable(
            () -> Fns.throwForged.remote(classes.toString(), "dev.skiff.e2e.ErrorGadget"));
    assertThat(gadget)
        .isExactlyInstanceOf(RemoteFunctionException.class)
        .hasMessage("dev.skiff.e2e.ErrorGadget: forged")
        .hasNoCause();
    assertThat(((RemoteFunctionException) gadget).remoteClassName())
        .isEqualTo("dev.skiff.e2e.ErrorGadget");
    assertThat(gadget.getStackTrace())
        .anySatisfy(f -> assertThat(f.getMethodName()).isEqualTo("throwForged"));
    assertThat(System.getProperty(ErrorGadget.INITIALIZED)).isNull();
    assertThat(System.getProperty(ErrorGadget.CONSTRUCTED)).isNull();

    Throwable timeout =
        catchThrowable(
            () -> Fns.throwForged.remote(classes.toString(), "dev.skiff.FunctionTimeoutException"));
    assertThat(timeout)
        .isExactlyInstanceOf(RemoteFunctionException.class)
        .hasMessage("dev.skiff.FunctionTimeoutException: forged")
        .hasNoCause();
  }

  @Test
  void usersExceptionWithoutAPublicConstructorIsRethrownAsItsOwnType() {
    Throwable t = catchThrowable(() -> Fns.throwQuiet.remote("x"));
    assertThat(t)
        .isExactlyInstanceOf(Fns.QuietError.class)
        .hasMessage("quiet: x")
        .cause()
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessage("hush");
  }

  @Test
  void checkedExceptionArrivesWrappedWithTheOriginalAsCause() {
    Throwable t = catchThrowable(() -> Fns.throwChecked.remote("why"));
    assertThat(t)
        .isInstanceOf(RemoteFunctionException.class)
        .hasMessage("java.io.IOException: checked: why")
        .hasCauseInstanceOf(IOException.class);
  }

  @Test
  void argumentThatCannotBeEncodedFailsAtTheCallSiteAndNothingRuns(@TempDir Path dir) {
    Path marker = dir.resolve("ran");
    assertThatThrownBy(() -> Fns.touch.remote(new Fns.Holder(marker.toString(), new Object())))
        .isInstanceOf(PayloadException.class)
        .hasMessageContaining("argument 1 of 'touch'")
        .hasMessageContaining(Fns.Holder.class.getName());
    assertThat(marker).doesNotExist();
    assertThat(SkiffExtension.containerProcesses()).isEmpty();

    // The same function runs when its argument can be encoded.
    Fns.touch.remote(new Fns.Holder(marker.toString(), "fine"));
    assertThat(marker).exists();
  }

  @Test
  void nullForAPrimitiveParameterFailsAtTheCallSite() {
    assertThatThrownBy(() -> Fns.add.remote(null, 1))
        .isInstanceOf(PayloadException.class)
        .hasMessageContaining("argument 1 of 'add'")
        .hasMessageContaining("primitive");
  }
}
