package com.example.errors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.RemoteFunctionException;
import dev.skiff.internal.ErrorCodec;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import java.util.ConcurrentModificationException;
import org.junit.jupiter.api.Test;

/**
 * Rebuilding a remote error by the class name the container sent: which classes are constructed.
 * The test stands in a user's package, so that its own classes are the user's own.
 */
class ErrorCodecTest {
  private static RuntimeException received(String className, String message) {
    return ErrorCodec.toException(
        ErrorInfo.newBuilder()
            .setKind(ErrorKind.USER_EXCEPTION)
            .setClassName(className)
            .setMessage(message)
            .build(),
        "f");
  }

  private static void assertArrivesAsRemoteFunctionException(String className) {
    RuntimeException e = received(className, "named by the container");
    assertThat(e).isExactlyInstanceOf(RemoteFunctionException.class).hasNoCause();
    assertThat(((RemoteFunctionException) e).remoteClassName()).isEqualTo(className);
    assertThat(((RemoteFunctionException) e).remoteMessage()).contains("named by the container");
    assertThat(e).hasMessage(className + ": named by the container");
  }

  /** A checked exception whose static initializer and constructor leave a mark. */
  public static class CheckedGadget extends Exception {
    private static final long serialVersionUID = 1L;

    static {
      System.setProperty("errorcodectest.checked.initialized", "yes");
    }

    public CheckedGadget(String message) {
      super(message);
      System.setProperty("errorcodectest.checked.constructed", "yes");
    }
  }

  /** An {@link Error} whose static initializer and constructor leave a mark. */
  public static class ErrorGadget extends Error {
    private static final long serialVersionUID = 1L;

    static {
      System.setProperty("errorcodectest.error.initialized", "yes");
    }

    public ErrorGadget(String message) {
      super(message);
      System.setProperty("errorcodectest.error.constructed", "yes");
    }
  }

  /** Not an exception at all; its static initializer leaves a mark. */
  public static class NotAThrowable {
    static {
      System.setProperty("errorcodectest.plain.initialized", "yes");
    }

    public NotAThrowable(String message) {
      System.setProperty("errorcodectest.plain.constructed", message);
    }
  }

  /** The user's own unchecked exception. */
  public static class UserFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserFailure(String message) {
      super(message);
    }
  }

  /** The user's own unchecked exception, with a constructor that is not public. */
  static class PackageFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PackageFailure(String message) {
      super(message);
    }
  }

  @Test
  void aClassThatIsNotTheUsersUncheckedExceptionIsNeitherInitializedNorConstructed() {
    for (String gadget :
        new String[] {
          "com.example.errors.ErrorCodecTest$CheckedGadget",
          "com.example.errors.ErrorCodecTest$ErrorGadget",
          "com.example.errors.ErrorCodecTest$NotAThrowable"
        }) {
      assertArrivesAsRemoteFunctionException(gadget);
    }
    assertThat(System.getProperties().stringPropertyNames())
        .noneMatch(name -> name.startsWith("errorcodectest."));
  }

  @Test
  void skiffsOwnTypesAndTheJdksOtherClassesAreNotRebuiltFromAContainersWord() {
    assertArrivesAsRemoteFunctionException("dev.skiff.FunctionTimeoutException");
    assertArrivesAsRemoteFunctionException("dev.skiff.NotFoundException");
    assertArrivesAsRemoteFunctionException("dev.skiff.RemoteFunctionException");
    assertArrivesAsRemoteFunctionException("io.grpc.StatusRuntimeException");
    assertArrivesAsRemoteFunctionException("java.lang.ProcessBuilder");
    assertArrivesAsRemoteFunctionException("java.lang.OutOfMemoryError");
    assertArrivesAsRemoteFunctionException("java.lang.Thread");
  }

  @Test
  void theUsersOwnUncheckedExceptionAndTheJdksArriveAsTheirTypes() {
    assertThat(received(UserFailure.class.getName(), "bad input"))
        .isExactlyInstanceOf(UserFailure.class)
        .hasMessage("bad input");
    assertThat(received(PackageFailure.class.getName(), "bad input"))
        .isExactlyInstanceOf(PackageFailure.class)
        .hasMessage("bad input");
    assertThat(received("java.lang.IllegalArgumentException", "bad argument"))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("bad argument");
    assertThat(received("java.util.ConcurrentModificationException", "changed"))
        .isExactlyInstanceOf(ConcurrentModificationException.class);
  }
}
