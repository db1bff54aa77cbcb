package com.example.errors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.ContainerCrashedException;
import dev.skiff.ContainerStartupException;
import dev.skiff.FunctionCancelledException;
import dev.skiff.FunctionTimeoutException;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.NotFoundException;
import dev.skiff.PayloadException;
import dev.skiff.RemoteFunctionException;
import dev.skiff.SkiffException;
import dev.skiff.internal.ErrorCodec;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.DuplicateFormatFlagsException;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * An exception thrown in a container, described there ({@link ErrorCodec#fromThrowable}) and
 * rebuilt at the caller ({@link ErrorCodec#toException}): what type arrives, with which message,
 * causes and frames, and what bounds the description. The test stands in a user's package, so that
 * its own classes are the user's own.
 */
class ErrorRoundTripTest {
  /** The user's unchecked exception with a (String, Throwable) constructor. */
  public static class Rejected extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Rejected(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The user's unchecked exception with only a (String) constructor. */
  public static class MessageOnly extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MessageOnly(String message) {
      super(message);
    }
  }

  /** The user's unchecked exception with only a no-argument constructor. */
  public static class Bare extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Bare() {}
  }

  /**
   * The user's unchecked exception, nested and package-private, with package-private constructors.
   */
  static class QuietError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    QuietError(String message, Throwable cause) {
      super(message, cause);
    }

    QuietError(String message) {
      super(message);
    }
  }

  /** The user's unchecked exception, nested and private, with a private constructor. */
  private static class HushedError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private HushedError(String message) {
      super(message);
    }
  }

  /** The user's unchecked exception whose only constructor takes something else. */
  public static class Coded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Coded(int code) {
      super("code " + code);
    }
  }

  /** The user's unchecked exception whose constructor throws while {@link #refuse} is set. */
  public static class Picky extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Set while the caller rebuilds: the constructor then throws. */
    static volatile boolean refuse;

    public Picky(String message) {
      super(message);
      if (refuse) {
        throw new IllegalStateException("refused");
      }
    }
  }

  /** The user's checked exception. */
  public static class CheckedFailure extends Exception {
    private static final long serialVersionUID = 1L;

    public CheckedFailure(String message) {
      super(message);
    }
  }

  /** The user's error. */
  public static class Broken extends Error {
    private static final long serialVersionUID = 1L;

    public Broken(String message) {
      super(message);
    }
  }

  /** Describes {@code t} as a container does and rebuilds it as the caller does. */
  private static RuntimeException roundTrip(Throwable t) {
    return ErrorCodec.toException(ErrorCodec.fromThrowable(t, ErrorKind.USER_EXCEPTION), "f");
  }

  @Test
  void aJdkExceptionComesBackWithItsMessageCauseChainAndRemoteFrames() {
    IOException disk = new IOException("disk full");
    IllegalArgumentException inner = new IllegalArgumentException("bad record", disk);
    IllegalStateException outer = new IllegalStateException("import failed", inner);

    RuntimeException back = roundTrip(outer);

    assertThat(back).isExactlyInstanceOf(IllegalStateException.class).hasMessage("import failed");
    assertThat(back.getCause())
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("bad record");
    assertThat(back.getCause().getCause())
        .isExactlyInstanceOf(IOException.class)
        .hasMessage("disk full")
        .hasNoCause();
    // The remote frames first, marked remote, as they were; then the caller's own frames.
    StackTraceElement[] remote = outer.getStackTrace();
    StackTraceElement[] frames = back.getStackTrace();
    assertThat(frames.length).isGreaterThan(remote.length);
    for (int i = 0; i < remote.length; i++) {
      assertThat(frames[i].getClassLoaderName()).isEqualTo(ErrorCodec.REMOTE_MARK);
      assertThat(frames[i].getClassName()).isEqualTo(remote[i].getClassName());
      assertThat(frames[i].getMethodName()).isEqualTo(remote[i].getMethodName());
      assertThat(frames[i].getLineNumber()).isEqualTo(remote[i].getLineNumber());
    }
    assertThat(frames[remote.length].getClassLoaderName()).isNotEqualTo(ErrorCodec.REMOTE_MARK);
    assertThat(Arrays.stream(frames).skip(remote.length))
        .anyMatch(f -> f.getMethodName().equals("roundTrip"));
    // A cause carries its remote frames only.
    assertThat(back.getCause().getStackTrace())
        .hasSize(inner.getStackTrace().length)
        .allMatch(f -> ErrorCodec.REMOTE_MARK.equals(f.getClassLoaderName()));
  }

  @Test
  void theUsersUncheckedExceptionsComeBackByWhicheverConstructorTheyHave() {
    IllegalStateException cause = new IllegalStateException("why");

    assertThat(roundTrip(new Rejected("no", cause)))
        .isExactlyInstanceOf(Rejected.class)
        .hasMessage("no")
        .cause()
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessage("why");
    RuntimeException messageOnly = roundTrip(new MessageOnly("only").initCause(cause));
    assertThat(messageOnly).isExactlyInstanceOf(MessageOnly.class).hasMessage("only");
    assertThat(messageOnly.getCause()).isExactlyInstanceOf(IllegalStateException.class);
    RuntimeException bare = roundTrip(new Bare());
    assertThat(bare).isExactlyInstanceOf(Bare.class);
    assertThat(bare.getMessage()).isNull();
  }

  @Test
  void theUsersUncheckedExceptionsComeBackByConstructorsThatAreNotPublic() {
    IllegalStateException cause = new IllegalStateException("why");

    assertThat(roundTrip(new QuietError("quiet", cause)))
        .isExactlyInstanceOf(QuietError.class)
        .hasMessage("quiet")
        .cause()
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessage("why");
    assertThat(roundTrip(new HushedError("hushed").initCause(cause)))
        .isExactlyInstanceOf(HushedError.class)
        .hasMessage("hushed")
        .cause()
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessage("why");
  }

  @Test
  void aJdkExceptionWithoutAMessageComesBackWithout() {
    RuntimeException back = roundTrip(new ConcurrentModificationException());
    assertThat(back).isExactlyInstanceOf(ConcurrentModificationException.class);
    assertThat(back.getMessage()).isNull();
  }

  @Test
  void aJdkExceptionWhoseConstructorsNeedItsCauseComesBackWithIt() {
    RuntimeException back = roundTrip(new UncheckedIOException("lost", new IOException("io")));

    assertThat(back)
        .isExactlyInstanceOf(UncheckedIOException.class)
        .hasMessage("lost")
        .cause()
        .isExactlyInstanceOf(IOException.class)
        .hasMessage("io");
  }

  @Test
  void anExceptionWithoutAUsableConstructorArrivesAsRemoteFunctionException() {
    for (RuntimeException unusable :
        new RuntimeException[] {
          new Coded(7),
          new Picky("not allowed"),
          new Bare() {
            // An anonymous subclass: its one constructor takes the enclosing test instance.
          },
        }) {
      RuntimeException back;
      Picky.refuse = true;
      try {
        back = roundTrip(unusable);
      } finally {
        Picky.refuse = false;
      }
      assertThat(back)
          .as(unusable.getClass().getName())
          .isExactlyInstanceOf(RemoteFunctionException.class)
          .hasNoCause();
      RemoteFunctionException remote = (RemoteFunctionException) back;
      assertThat(remote.remoteClassName()).isEqualTo(unusable.getClass().getName());
      assertThat(remote.remoteMessage()).isEqualTo(Optional.ofNullable(unusable.getMessage()));
    }
    assertThat(roundTrip(new Coded(7))).hasMessage(Coded.class.getName() + ": code 7");
  }

  @Test
  void aJdkExceptionWhoseStringConstructorIsNotItsMessageArrivesWithTheMessageItHad() {
    // The constructor's argument is the flags; the message it makes is "Flags = '-'".
    DuplicateFormatFlagsException flags = new DuplicateFormatFlagsException("-");

    RuntimeException back = roundTrip(flags);

    assertThat(back).hasMessageContaining("Flags = '-'").hasMessageNotContaining("Flags = 'Flags");
    assertThat(back).isExactlyInstanceOf(RemoteFunctionException.class);
    assertThat(((RemoteFunctionException) back).remoteMessage()).contains("Flags = '-'");
  }

  @Test
  void checkedExceptionsAndErrorsArriveAsRemoteFunctionException() {
    RuntimeException io = roundTrip(new IOException("disk"));
    assertThat(io)
        .isExactlyInstanceOf(RemoteFunctionException.class)
        .hasMessage("java.io.IOException: disk");
    // The JDK's checked exception is rebuilt as the cause.
    assertThat(io.getCause()).isExactlyInstanceOf(IOException.class).hasMessage("disk");

    RuntimeException checked = roundTrip(new CheckedFailure("nope"));
    assertThat(checked)
        .isExactlyInstanceOf(RemoteFunctionException.class)
        .hasMessage(CheckedFailure.class.getName() + ": nope")
        .hasNoCause();

    for (Throwable error : new Throwable[] {new Broken("bad"), new StackOverflowError("deep")}) {
      RuntimeException back = roundTrip(error);
      assertThat(back)
          .isExactlyInstanceOf(RemoteFunctionException.class)
          .hasMessage(error.getClass().getName() + ": " + error.getMessage())
          .hasNoCause();
    }
  }

  @Test
  void aCauseOfSkiffsOwnOrALibrarysTypeIsNotRebuiltButKeptAsRemoteFunctionException() {
    RuntimeException back =
        roundTrip(new IllegalStateException("outer", new InvalidConfigurationException("cfg")));

    assertThat(back).isExactlyInstanceOf(IllegalStateException.class).hasMessage("outer");
    assertThat(back.getCause())
        .isExactlyInstanceOf(RemoteFunctionException.class)
        .hasMessage("dev.skiff.InvalidConfigurationException: cfg");
  }

  @Test
  void suppressedExceptionsAreNotCarried() {
    IllegalStateException failure = new IllegalStateException("body failed");
    failure.addSuppressed(new IOException("close failed"));

    assertThat(roundTrip(failure).getSuppressed()).isEmpty();
  }

  @Test
  void containerFramesAndTheReflectionBelowTheUsersMethodAreTrimmed() {
    RuntimeException e = new RuntimeException("x");
    e.setStackTrace(
        new StackTraceElement[] {
          new StackTraceElement("com.example.Fn", "work", "Fn.java", 10),
          new StackTraceElement(
              "jdk.internal.reflect.DirectMethodHandleAccessor", "invoke", null, -1),
          new StackTraceElement("java.lang.reflect.Method", "invoke", "Method.java", 580),
          new StackTraceElement("dev.skiff.internal.container.Worker", "run", "Worker.java", 99),
          new StackTraceElement("java.lang.Thread", "run", "Thread.java", 1583),
        });

    ErrorInfo info = ErrorCodec.fromThrowable(e, ErrorKind.USER_EXCEPTION);

    assertThat(info.getFramesList())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getDeclaringClass()).isEqualTo("com.example.Fn");
              assertThat(f.getMethod()).isEqualTo("work");
              assertThat(f.getFile()).isEqualTo("Fn.java");
              assertThat(f.getLine()).isEqualTo(10);
            });
  }

  @Test
  void theDescriptionIsBoundedInFramesAndCausesAndEndsOnACycle() {
    RuntimeException deep = new RuntimeException("level 0");
    deep.setStackTrace(
        IntStream.range(0, 1000)
            .mapToObj(i -> new StackTraceElement("com.example.Deep", "f" + i, "Deep.java", i))
            .toArray(StackTraceElement[]::new));
    Throwable last = deep;
    for (int i = 1; i <= 40; i++) {
      RuntimeException next = new RuntimeException("level " + i);
      last.initCause(next);
      last = next;
    }

    ErrorInfo info = ErrorCodec.fromThrowable(deep, ErrorKind.USER_EXCEPTION);

    assertThat(info.getFramesCount()).isEqualTo(256);
    int causes = 0;
    for (ErrorInfo c = info; c.hasCause(); c = c.getCause()) {
      causes++;
    }
    assertThat(causes).isEqualTo(16);

    IllegalStateException a = new IllegalStateException("a");
    IllegalStateException b = new IllegalStateException("b", a);
    a.initCause(b);
    ErrorInfo cycle = ErrorCodec.fromThrowable(a, ErrorKind.USER_EXCEPTION);
    assertThat(cycle.getCause().getMessage()).isEqualTo("b");
    assertThat(cycle.getCause().hasCause()).isFalse();
  }

  @Test
  void skiffsOwnFailuresBecomeTheirTypesFromTheErrorKind() {
    assertThat(kind(ErrorKind.TIMEOUT, "ran 5 s"))
        .isExactlyInstanceOf(FunctionTimeoutException.class)
        .hasMessage("ran 5 s");
    assertThat(kind(ErrorKind.CONTAINER_CRASHED, "exit 137"))
        .isExactlyInstanceOf(ContainerCrashedException.class)
        .hasMessage("exit 137");
    assertThat(kind(ErrorKind.CANCELLED, ""))
        .isExactlyInstanceOf(FunctionCancelledException.class)
        .hasMessage("call to 'f' was cancelled");
    assertThat(kind(ErrorKind.ENCODING, "bad bytes"))
        .isExactlyInstanceOf(PayloadException.class)
        .hasMessage("bad bytes");
    assertThat(kind(ErrorKind.NOT_FOUND, "no call")).isExactlyInstanceOf(NotFoundException.class);
    assertThat(kind(ErrorKind.INVALID_ARGUMENT, "no"))
        .isExactlyInstanceOf(InvalidConfigurationException.class);
    assertThat(kind(ErrorKind.INTERNAL, "oops"))
        .isExactlyInstanceOf(SkiffException.class)
        .hasMessage("internal error in Skiff: oops");
    assertThat(kind(ErrorKind.STARTUP_TIMEOUT, "slow init"))
        .isExactlyInstanceOf(ContainerStartupException.class)
        .hasNoCause();
    RuntimeException startup =
        ErrorCodec.toException(
            ErrorInfo.newBuilder()
                .setKind(ErrorKind.STARTUP_FAILED)
                .setMessage("init failed")
                .setCause(
                    ErrorCodec.fromThrowable(
                        new IllegalStateException("no config"), ErrorKind.STARTUP_FAILED))
                .build(),
            "f");
    assertThat(startup)
        .isExactlyInstanceOf(ContainerStartupException.class)
        .hasMessage("init failed")
        .cause()
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessage("no config");
    // Skiff's own failures show where the caller called, nothing remote.
    assertThat(kind(ErrorKind.TIMEOUT, "t").getStackTrace())
        .isNotEmpty()
        .noneMatch(f -> ErrorCodec.REMOTE_MARK.equals(f.getClassLoaderName()));
  }

  @Test
  void anErrorAfterSeveralAttemptsTellsTheAttemptsBesideTheUsersMessage() {
    ErrorInfo info =
        ErrorCodec.fromThrowable(new IllegalStateException("third time"), ErrorKind.USER_EXCEPTION)
            .toBuilder()
            .setAttempts(3)
            .build();

    RuntimeException back = ErrorCodec.toException(info, "f");

    assertThat(back).isExactlyInstanceOf(IllegalStateException.class).hasMessage("third time");
    assertThat(back.getSuppressed()).hasSize(1);
    assertThat(back.getSuppressed()[0])
        .isExactlyInstanceOf(SkiffException.class)
        .hasMessage("function 'f' failed after 3 attempts; this is the error of the last one");
  }

  private static RuntimeException kind(ErrorKind kind, String message) {
    return ErrorCodec.toException(ErrorCodec.of(kind, message), "f");
  }
}
