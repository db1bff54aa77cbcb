package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import org.junit.jupiter.api.Test;

/** How {@code skiff call} and {@code app history} say a failed call in one line. */
class CallCommandTest {
  @Test
  void aFailureOfSkiffsOwnIsItsMessageWithoutAnEmptyClassName() {
    ErrorInfo tooFew =
        ErrorInfo.newBuilder()
            .setKind(ErrorKind.ENCODING)
            .setMessage("function 'add' takes 2 argument(s), got 1")
            .build();
    assertThat(CallCommand.describe(tooFew)).isEqualTo("function 'add' takes 2 argument(s), got 1");
  }

  @Test
  void anExceptionOfTheFunctionIsItsClassAndMessage() {
    ErrorInfo thrown =
        ErrorInfo.newBuilder()
            .setKind(ErrorKind.USER_EXCEPTION)
            .setClassName("java.lang.IllegalStateException")
            .setMessage("failed because no reason")
            .build();
    assertThat(CallCommand.describe(thrown))
        .isEqualTo("java.lang.IllegalStateException: failed because no reason");
    assertThat(CallCommand.describe(thrown.toBuilder().setMessage("").build()))
        .isEqualTo("java.lang.IllegalStateException");
  }

  @Test
  void aFailureWithNeitherClassNorMessageIsNamedByItsKind() {
    ErrorInfo bare = ErrorInfo.newBuilder().setKind(ErrorKind.CONTAINER_CRASHED).build();
    assertThat(CallCommand.describe(bare)).isEqualTo("container crashed");
  }
}
