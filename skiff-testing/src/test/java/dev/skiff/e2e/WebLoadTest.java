package dev.skiff.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.App;
import dev.skiff.AppRun;
import dev.skiff.FunctionStatus;
import dev.skiff.WebEndpoint;
import dev.skiff.WebRequest;
import dev.skiff.WebResponse;
import dev.skiff.testing.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A public web endpoint under abuse, against a real {@code skiff server} with a 256 MiB heap that
 * ends on an OutOfMemoryError: 300 concurrent 16 MiB POSTs (4.7 GiB of bodies), then thousands of
 * GETs whose clients go away before the answer (over HTTP/1.1, and over HTTP/2 with curl), then a
 * client too slow to send its body. The server answers what it can take, refuses the rest with 429
 * or 503 and {@code Retry-After}, cancels the inputs of clients that left, times out the slow one
 * with 408, and stays up. The server's peak RSS is printed, not asserted.
 */
@Tag("e2e")
class WebLoadTest {
  private static final int BODY = 16 * 1024 * 1024;
  private static final int UPLOADS = 300;
  private static final int HELD = 1000;
  private static final int LEFT_AT_ONCE = 1000;

  static final App app = App.named("web-load");
  static final WebEndpoint upload =
      app.webEndpoint(
          WebLoadTest::upload,
          w ->
              w.label("upload")
                  .maxBodyBytes(BODY)
                  .maxConcurrentRequests(2)
                  .function(f -> f.minContainers(1).concurrentInputs(2)));
  static final WebEndpoint hold =
      app.webEndpoint(
          WebLoadTest::hold,
          w ->
              w.label("hold")
                  .maxConcurrentRequests(HELD)
                  .function(
                      f ->
                          f.minContainers(1)
                              .maxContainers(1)
                              .concurrentInputs(100)
                              .timeout(Duration.ofMinutes(5))));
  static final WebEndpoint ping =
      app.webEndpoint(WebLoadTest::ping, w -> w.function(f -> f.minContainers(1)));

  static WebResponse upload(WebRequest request) {
    return WebResponse.text(200, Integer.toString(request.body().length));
  }

  static String hold(String n) throws InterruptedException {
    Thread.sleep(Duration.ofMinutes(4));
    return n;
  }

  static String ping(String n) {
    return "pong " + n;
  }

  @Test
  void aFloodOfLargeBodiesAndOfClientsThatLeaveIsBoundedAndAnswered() throws Exception {
    try (ServerProcess server =
        ServerProcess.startWithJvmOptions(
            List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
            "--plaintext",
            "--web-max-buffered-mib",
            "24",
            "--web-read-timeout",
            "5s")) {
      server.useInThisJvm();
      try (AppRun run = app.run();
          ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
        assertThat(get(ping.webUrl() + "?n=1")).isEqualTo("\"pong 1\"");

        // 300 concurrent 16 MiB POSTs: at most 2 at once for the endpoint (429 beyond), and bodies
        // of 24 MiB held at once by the server (503 beyond: the second of the two). One
        // whose body takes longer than the read timeout to arrive (the machine is busy) gets 408.
        byte[] body = new byte[BODY];
        HttpClient client =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .executor(threads)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        List<Future<?>> uploads = new ArrayList<>();
        for (int i = 0; i < UPLOADS; i++) {
          boolean expectContinue = i % 2 == 0;
          uploads.add(
              threads.submit(
                  () -> {
                    outcomes
                        .computeIfAbsent(
                            post(client, body, expectContinue), k -> new AtomicInteger())
                        .incrementAndGet();
                    return null;
                  }));
        }
        long peakRssKib = 0;
        for (Future<?> f : uploads) {
          f.get(3, TimeUnit.MINUTES);
          peakRssKib = Math.max(peakRssKib, server.peakRssKib().orElse(0));
        }
        Map<String, Integer> counts = new TreeMap<>();
        outcomes.forEach((k, v) -> counts.put(k, v.get()));
        System.out.println("300 concurrent 16 MiB POSTs: " + counts);
        assertThat(alive(server)).as("the server after the uploads").isTrue();
        assertThat(counts.keySet())
            .as("every upload is taken whole or refused with Retry-After")
            .allMatch(
                k ->
                    k.equals("200 " + BODY)
                        || k.equals("429 Retry-After: 1")
                        || k.equals("503 Retry-After: 1")
                        || k.equals("408")
                        || k.startsWith("refused, then the connection closed"));
        assertThat(counts.getOrDefault("503 Retry-After: 1", 0)).isPositive();
        // How many of the flood were taken whole depends on how busy the machine is (each body
        // must arrive within the read timeout); once the flood is over, one is taken whole.
        assertThat(post(client, body, false)).isEqualTo("200 " + BODY);

        // A body larger than the endpoint takes is refused by its Content-Length, unread.
        try (Socket s = new Socket("127.0.0.1", webPort(server))) {
          send(s, "POST /web-load/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 16777217\r\n\r\n");
          assertThat(statusLine(s)).isEqualTo("HTTP/1.1 413 Payload Too Large");
        }

        // 1,000 clients that send a GET and leave at once: their inputs are cancelled.
        for (int i = 0; i < LEFT_AT_ONCE; i++) {
          try (Socket s = new Socket("127.0.0.1", webPort(server))) {
            send(s, "GET /web-load/hold?n=" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
          }
        }
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () ->
                    assertThat(inputs(run, "hold"))
                        .as("inputs left after 1,000 clients left at once")
                        .isZero());

        // 1,000 that wait, as many as the endpoint takes at once: more are refused; then all leave.
        List<Socket> waiting = new ArrayList<>();
        try {
          for (int i = 0; i < HELD; i++) {
            Socket s = new Socket("127.0.0.1", webPort(server));
            waiting.add(s);
            send(s, "GET /web-load/hold?n=" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
          }
          await()
              .atMost(Duration.ofSeconds(60))
              .untilAsserted(
                  () ->
                      assertThat(inputs(run, "hold"))
                          .as("inputs of the waiting clients, queued or running")
                          .isEqualTo(HELD));
          for (int i = 0; i < 10; i++) {
            try (Socket s = new Socket("127.0.0.1", webPort(server))) {
              s.setSoTimeout(30_000);
              send(s, "GET /web-load/hold?n=more HTTP/1.1\r\nHost: x\r\n\r\n");
              assertThat(head(s))
                  .startsWith("HTTP/1.1 429 Too Many Requests")
                  .contains("\r\nRetry-After: 1\r\n");
            }
          }
        } finally {
          for (Socket s : waiting) {
            s.close();
          }
        }
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () ->
                    assertThat(inputs(run, "hold"))
                        .as("inputs left after every client went away")
                        .isZero());

        // HTTP/2 (curl, prior knowledge): 50 streams on 50 connections, whose clients are killed.
        List<Process> curls = new ArrayList<>();
        try {
          for (int i = 0; i < 50; i++) {
            curls.add(
                new ProcessBuilder(
                        "curl", "-s", "--http2-prior-knowledge", hold.webUrl() + "?n=h2-" + i)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start());
          }
          await()
              .atMost(Duration.ofSeconds(60))
              .untilAsserted(
                  () ->
                      assertThat(inputs(run, "hold"))
                          .as("inputs of the HTTP/2 clients")
                          .isEqualTo(50));
        } finally {
          for (Process curl : curls) {
            curl.destroyForcibly().waitFor();
          }
        }
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () ->
                    assertThat(inputs(run, "hold"))
                        .as("inputs left after the HTTP/2 clients were killed")
                        .isZero());

        // A client that sends 10 bytes of a 1,000-byte body, then nothing: 408 after 5 s.
        try (Socket s = new Socket("127.0.0.1", webPort(server))) {
          s.setSoTimeout(30_000);
          send(s, "POST /web-load/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
          send(s, "0123456789");
          assertThat(statusLine(s)).isEqualTo("HTTP/1.1 408 Request Timeout");
        }

        assertThat(get(ping.webUrl() + "?n=2")).isEqualTo("\"pong 2\"");
        peakRssKib = Math.max(peakRssKib, server.peakRssKib().orElse(0));
        System.out.printf("web load: server -Xmx256m, peak RSS %d MiB%n", peakRssKib >> 10);
        assertThat(alive(server)).isTrue();
        assertThat(server.output()).doesNotContain("OutOfMemoryError");
      }
    }
  }

  /**
   * One POST of {@code body}: its status and what it says, for counting. With {@code
   * expectContinue} the client sends its headers first and its body only once the server asks for
   * it, so that it reads a refusal cleanly; without, it sends everything at once, as a careless or
   * hostile client does, and may find the connection closed under it when it is refused.
   */
  private static String post(HttpClient client, byte[] body, boolean expectContinue)
      throws InterruptedException {
    try {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create(upload.webUrl()))
                  .timeout(Duration.ofMinutes(2))
                  .expectContinue(expectContinue)
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200
          ? "200 " + r.body()
          : r.statusCode()
              + r.headers().firstValue("Retry-After").map(v -> " Retry-After: " + v).orElse("");
    } catch (IOException e) {
      // Refused before its body was read: the server answered and closed while it still sent.
      return "refused, then the connection closed: " + e.getClass().getSimpleName();
    }
  }

  private static int inputs(AppRun run, String function) {
    FunctionStatus status =
        run.status().stream().filter(f -> f.name().equals(function)).findFirst().orElseThrow();
    return status.queuedInputs() + status.runningInputs();
  }

  private static String get(String url) throws IOException, InterruptedException {
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client
          .send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    }
  }

  private static int webPort(ServerProcess server) {
    return URI.create(server.webBaseUrl()).getPort();
  }

  private static void send(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** The status line and headers of the response on {@code s}, with their line ends. */
  private static String head(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      head.append((char) c);
    }
    return head.toString();
  }

  private static String statusLine(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c >= 0 && c != '\r'; c = in.read()) {
      line.append((char) c);
    }
    return line.toString();
  }

  private static boolean alive(ServerProcess server) {
    return ProcessHandle.of(server.pid()).map(ProcessHandle::isAlive).orElse(false);
  }
}
