package dev.skiff.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.skiff.proto.CallRequest;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.SpawnManyRequest;
import dev.skiff.proto.SpawnManyResponse;
import dev.skiff.proto.SpawnOutcome;
import dev.skiff.proto.SpawnResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SDK's batching of concurrent spawns, against a real gRPC server on loopback. */
class SpawnBatcherTest {
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * A server that holds every request until released, answers each call with "id-" and its
   * argument, and refuses the argument "bad" alone.
   */
  private static final class Recording extends ClientApiGrpc.ClientApiImplBase {
    final ConcurrentLinkedQueue<Integer> batchSizes = new ConcurrentLinkedQueue<>();
    final AtomicInteger singles = new AtomicInteger();
    final CountDownLatch release = new CountDownLatch(1);
    final boolean hasSpawnMany;

    Recording(boolean hasSpawnMany) {
      this.hasSpawnMany = hasSpawnMany;
    }

    @Override
    public void spawnMany(SpawnManyRequest request, StreamObserver<SpawnManyResponse> response) {
      if (!hasSpawnMany) {
        super.spawnMany(request, response);
        return;
      }
      batchSizes.add(request.getCallsCount());
      held();
      SpawnManyResponse.Builder r = SpawnManyResponse.newBuilder();
      for (CallRequest c : request.getCallsList()) {
        String arg = c.getArgs().toStringUtf8();
        r.addOutcomes(
            arg.equals("bad")
                ? SpawnOutcome.newBuilder()
                    .setErrorCode(Status.Code.INVALID_ARGUMENT.value())
                    .setErrorMessage("bad argument")
                    .build()
                : SpawnOutcome.newBuilder().setCallId("id-" + arg).build());
      }
      response.onNext(r.build());
      response.onCompleted();
    }

    @Override
    public void spawn(CallRequest request, StreamObserver<SpawnResponse> response) {
      singles.incrementAndGet();
      held();
      response.onNext(
          SpawnResponse.newBuilder().setCallId("id-" + request.getArgs().toStringUtf8()).build());
      response.onCompleted();
    }

    private void held() {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private SpawnBatcher batcherFor(Recording service) throws Exception {
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(service)
            .build()
            .start();
    servers.add(server);
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getPort()))
            .usePlaintext()
            .build();
    channels.add(channel);
    return new SpawnBatcher(ClientApiGrpc.newStub(channel));
  }

  private static CallRequest call(String arg) {
    return CallRequest.newBuilder()
        .setFunction(FunctionRef.newBuilder().setAppId("ap-1").setFunctionName("f"))
        .setArgs(ByteString.copyFromUtf8(arg))
        .build();
  }

  @Test
  void spawnsMadeWhileRequestsAreOnTheirWayGoTogetherAndEachGetsItsOwnOutcome() throws Exception {
    Recording service = new Recording(true);
    SpawnBatcher batcher = batcherFor(service);
    List<CompletableFuture<String>> ids = new ArrayList<>();
    ids.add(batcher.spawn(call("a"))); // goes at once, alone
    ids.add(batcher.spawn(call("b"))); // too: two requests may be on their way
    await().until(() -> service.singles.get() == 2);
    for (int i = 0; i < 100; i++) {
      ids.add(batcher.spawn(call(i == 50 ? "bad" : "n" + i))); // wait for an answer
    }

    service.release.countDown();

    Set<String> got = new HashSet<>();
    for (int i = 0; i < ids.size(); i++) {
      CompletableFuture<String> id = ids.get(i);
      if (i == 52) {
        assertThat(id)
            .failsWithin(Duration.ofSeconds(10))
            .withThrowableOfType(Exception.class)
            .havingCause()
            .isInstanceOf(StatusRuntimeException.class)
            .withMessageContaining("INVALID_ARGUMENT: bad argument");
      } else {
        got.add(id.get(10, TimeUnit.SECONDS));
      }
    }
    assertThat(got).hasSize(101).contains("id-a", "id-b", "id-n0", "id-n99");
    assertThat(service.batchSizes).containsExactly(100); // all that waited, in one request
    assertThat(service.singles.get()).isEqualTo(2);
  }

  @Test
  void aServerWithoutSpawnManyGetsEachSpawnAlone() throws Exception {
    Recording service = new Recording(false);
    SpawnBatcher batcher = batcherFor(service);
    List<CompletableFuture<String>> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ids.add(batcher.spawn(call("n" + i)));
    }
    service.release.countDown();
    for (int i = 0; i < 20; i++) {
      assertThat(ids.get(i).get(10, TimeUnit.SECONDS)).isEqualTo("id-n" + i);
    }
    assertThat(service.singles.get()).isEqualTo(20);
  }
}
