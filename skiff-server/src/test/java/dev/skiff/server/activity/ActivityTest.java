package dev.skiff.server.activity;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skiff.proto.CallKind;
import dev.skiff.proto.CallState;
import dev.skiff.proto.CallSummary;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.ErrorKind;
import dev.skiff.proto.MinuteStats;
import dev.skiff.proto.Result;
import dev.skiff.server.testing.FakeClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActivityTest {
  private final FakeClock clock = new FakeClock();
  private final Activity activity = new Activity(clock);

  @Test
  void aCallIsRememberedWithItsAttemptsAndTheErrorThatEndedIt() {
    FunctionActivity f = activity.function("ap-1", "shop", "charge");
    CallRecord call = f.submitted(CallKind.CALL_SPAWN, "fc-1");
    assertThat(activity.find("fc-1").orElseThrow().getState()).isEqualTo(CallState.CALL_QUEUED);

    clock.advance(Duration.ofMillis(10));
    call.attemptStarted(1, "c-a");
    clock.advance(Duration.ofMillis(100));
    ErrorInfo crash =
        ErrorInfo.newBuilder().setKind(ErrorKind.CONTAINER_CRASHED).setMessage("exit 137").build();
    call.attemptFailed(1, crash);
    call.attemptStarted(2, "c-b");
    clock.advance(Duration.ofMillis(50));
    ErrorInfo error =
        ErrorInfo.newBuilder()
            .setKind(ErrorKind.USER_EXCEPTION)
            .setClassName("java.lang.IllegalStateException")
            .setMessage("no funds")
            .setAttempts(2)
            .build();
    call.finished(Result.newBuilder().setError(error).build());

    CallSummary s = activity.find("fc-1").orElseThrow();
    assertThat(s.getState()).isEqualTo(CallState.CALL_FAILED);
    assertThat(s.getAppName()).isEqualTo("shop");
    assertThat(s.getFinishedAtMs() - s.getSubmittedAtMs()).isEqualTo(160);
    assertThat(s.getAttemptsList())
        .extracting(a -> a.getNumber() + " " + a.getContainerId() + " " + a.getError().getMessage())
        .containsExactly("1 c-a exit 137", "2 c-b no funds");
    assertThat(s.getError().getMessage()).isEqualTo("no funds");
  }

  @Test
  void eachFunctionKeepsItsLatestCallsAndQueriesAnswerNewestFirst() {
    FunctionActivity a = activity.function("ap-1", "shop", "charge");
    FunctionActivity b = activity.function("ap-1", "shop", "refund");
    for (int i = 0; i < Activity.CALLS_PER_FUNCTION + 10; i++) {
      clock.advance(Duration.ofMillis(1));
      a.submitted(CallKind.CALL_MAP, "in-a" + i);
      b.submitted(CallKind.CALL_REMOTE, "in-b" + i);
    }

    assertThat(activity.find("in-a9")).isEmpty(); // made room
    assertThat(activity.find("in-a10")).isPresent();
    List<CallSummary> recent = activity.recent("ap-1", "", 3);
    assertThat(recent)
        .extracting(CallSummary::getCallId)
        .containsExactlyInAnyOrder("in-a509", "in-b509", recent.get(2).getCallId());
    assertThat(activity.recent("ap-1", "refund", 2))
        .extracting(CallSummary::getCallId)
        .containsExactly("in-b509", "in-b508");
    assertThat(activity.recent("ap-2", "", 10)).isEmpty();

    // A stopped function's calls can still be found, until enough others stopped after it.
    activity.retire(a);
    assertThat(activity.find("in-a509")).isPresent();
    for (int i = 0; i < Activity.RETIRED_FUNCTIONS; i++) {
      activity.retire(activity.function("ap-x", "x", "f" + i));
    }
    assertThat(activity.find("in-a509")).isEmpty();
  }

  @Test
  void theLastHourCountsCallsFailuresPercentilesAndColdStartsPerMinute() {
    FunctionActivity f = activity.function("ap-1", "shop", "charge");
    for (int i = 1; i <= 100; i++) {
      CallRecord c = f.submitted(CallKind.CALL_REMOTE, "in-" + i);
      clock.advance(Duration.ofMillis(i)); // the i-th call takes i ms
      c.finished(
          i % 10 == 0
              ? Result.newBuilder()
                  .setError(ErrorInfo.newBuilder().setKind(ErrorKind.USER_EXCEPTION))
                  .build()
              : Result.newBuilder().setValue(ByteString.EMPTY).build());
      clock.advance(Duration.ofMillis(-i));
    }
    f.coldStarted(Duration.ofMillis(300));
    f.coldStarted(Duration.ofMillis(500));
    clock.advance(Duration.ofMinutes(2));
    f.submitted(CallKind.CALL_REMOTE, "later").finished(Result.getDefaultInstance());

    List<MinuteStats> hour = activity.lastHour("ap-1", "charge").orElseThrow();
    assertThat(hour).hasSize(2);
    MinuteStats first = hour.get(0);
    assertThat(first.getCalls()).isEqualTo(100);
    assertThat(first.getFailures()).isEqualTo(10);
    assertThat(first.getP50Us()).isEqualTo(50_000);
    assertThat(first.getP99Us()).isEqualTo(99_000);
    assertThat(first.getColdStarts()).isEqualTo(2);
    assertThat(first.getColdStartMeanMs()).isEqualTo(400);
    assertThat(hour.get(1).getCalls()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(61));
    assertThat(activity.lastHour("ap-1", "charge").orElseThrow()).isEmpty();
  }
}
