package com.example.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.ContainerCrashedException;
import dev.skiff.FunctionTimeoutException;
import dev.skiff.InvalidConfigurationException;
import dev.skiff.RemoteFunctionException;
import dev.skiff.SkiffException;
import dev.skiff.internal.ErrorCodec;
import dev.skiff.internal.FailureFacts;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import org.junit.jupiter.api.Test;

/**
 * A failed call's facts (attempts, container, exit code) arrive as typed accessors beside the
 * message, which stays as the control plane wrote it.
 */
class FailureFactsTest {
  @Test
  void aCrashCarriesItsAttemptsContainerAndExitCode() {
    RuntimeException e =
        ErrorCodec.toException(
            ErrorInfo.newBuilder()
                .setKind(ErrorKind.CONTAINER_CRASHED)
                .setMessage("function 'f' failed: container c-1 exited with code 3")
                .setContainerId("c-1")
                .setAttempts(1)
                .setExitCode(3)
                .build(),
            "f");

    assertThat(e)
        .isExactlyInstanceOf(ContainerCrashedException.class)
        .hasMessage("function 'f' failed: container c-1 exited with code 3");
    SkiffException crash = (SkiffException) e;
    assertThat(crash.attempts()).hasValue(1);
    assertThat(crash.containerId()).contains("c-1");
    assertThat(crash.exitCode()).hasValue(3);
    assertThat(crash.getSuppressed()).isEmpty();
  }

  @Test
  void factsTheControlPlaneDidNotSendAreEmpty() {
    SkiffException e =
        (SkiffException)
            ErrorCodec.toException(
                ErrorInfo.newBuilder()
                    .setKind(ErrorKind.TIMEOUT)
                    .setMessage("function 'f' timed out after 1s (attempt 1 of 1)")
                    .build(),
                "f");

    assertThat(e).isExactlyInstanceOf(FunctionTimeoutException.class);
    assertThat(e.attempts()).isEmpty();
    assertThat(e.containerId()).isEmpty();
    assertThat(e.exitCode()).isEmpty();
  }

  @Test
  void anExitCodeOfZeroIsAFactNotAnAbsence() {
    SkiffException e =
        (SkiffException)
            ErrorCodec.toException(
                ErrorInfo.newBuilder()
                    .setKind(ErrorKind.CONTAINER_CRASHED)
                    .setMessage("function 'f' failed: container c-2 exited with code 0")
                    .setExitCode(0)
                    .build(),
                "f");

    assertThat(e.exitCode()).hasValue(0);
  }

  @Test
  void aRemoteFunctionExceptionCarriesTheFacts() {
    RuntimeException e =
        ErrorCodec.toException(
            ErrorInfo.newBuilder()
                .setKind(ErrorKind.USER_EXCEPTION)
                .setClassName("com.example.NotOnThisClasspath")
                .setMessage("gone")
                .setContainerId("c-9")
                .setAttempts(1)
                .build(),
            "f");

    assertThat(e).isExactlyInstanceOf(RemoteFunctionException.class);
    assertThat(((SkiffException) e).containerId()).contains("c-9");
    assertThat(((SkiffException) e).attempts()).hasValue(1);
    assertThat(((SkiffException) e).exitCode()).isEmpty();
  }

  @Test
  void aUsersOwnExceptionAfterRetriesHasTheFactsOnItsAttemptsNote() {
    RuntimeException e =
        ErrorCodec.toException(
            ErrorInfo.newBuilder()
                .setKind(ErrorKind.USER_EXCEPTION)
                .setClassName(IllegalStateException.class.getName())
                .setMessage("boom")
                .setContainerId("c-7")
                .setAttempts(3)
                .build(),
            "f");

    assertThat(e).isExactlyInstanceOf(IllegalStateException.class).hasMessage("boom");
    assertThat(e.getSuppressed()).hasSize(1);
    SkiffException note = (SkiffException) e.getSuppressed()[0];
    assertThat(note)
        .hasMessage("function 'f' failed after 3 attempts; this is the error of the last one");
    assertThat(note.attempts()).hasValue(3);
    assertThat(note.containerId()).contains("c-7");
  }

  @Test
  void anExceptionRaisedInThisProcessHasNoFacts() {
    SkiffException e = new InvalidConfigurationException("bad");

    assertThat(e.attempts()).isEmpty();
    assertThat(e.containerId()).isEmpty();
    assertThat(e.exitCode()).isEmpty();
  }

  @Test
  void nobodyButSkiffExceptionInstallsTheFactsWriter() {
    assertThatThrownBy(() -> FailureFacts.install((e, attempts, container, exit) -> {}))
        .isInstanceOf(IllegalCallerException.class)
        .hasMessageContaining("only SkiffException installs the failure facts writer");
  }
}
