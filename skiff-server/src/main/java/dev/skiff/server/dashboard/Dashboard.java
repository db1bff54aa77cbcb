package dev.skiff.server.dashboard;

import dev.skiff.proto.AppHistory;
import dev.skiff.proto.AppHistoryRequest;
import dev.skiff.proto.AppState;
import dev.skiff.proto.AppStatus;
import dev.skiff.proto.AppStatusRequest;
import dev.skiff.proto.AppSummary;
import dev.skiff.proto.AutoscalerSettings;
import dev.skiff.proto.CallAttempt;
import dev.skiff.proto.CallKind;
import dev.skiff.proto.CallState;
import dev.skiff.proto.CallSummary;
import dev.skiff.proto.ClientApiGrpc;
import dev.skiff.proto.ContainerState;
import dev.skiff.proto.ContainerStatus;
import dev.skiff.proto.ErrorInfo;
import dev.skiff.proto.Frame;
import dev.skiff.proto.FunctionDef;
import dev.skiff.proto.FunctionRef;
import dev.skiff.proto.FunctionStatus;
import dev.skiff.proto.ListAppsRequest;
import dev.skiff.proto.ListCallsRequest;
import dev.skiff.proto.ListVolumesRequest;
import dev.skiff.proto.LogLine;
import dev.skiff.proto.LookupFunctionRequest;
import dev.skiff.proto.MinuteStats;
import dev.skiff.proto.NextRun;
import dev.skiff.proto.ScheduledRun;
import dev.skiff.proto.StopAppRequest;
import dev.skiff.proto.StreamLogsRequest;
import dev.skiff.proto.UndeployAppRequest;
import dev.skiff.proto.UpdateAutoscalerRequest;
import dev.skiff.proto.VolumeApiGrpc;
import dev.skiff.proto.VolumeInfo;
import dev.skiff.server.secrets.SecretStore;
import dev.skiff.server.web.WebUi;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The dashboard: server-rendered pages at {@code /} and under {@value WebUi#PREFIX} of the web
 * port, behind a login with the client token. It reads and acts only through the control plane's
 * client API (an in-process channel that carries the client token), so what it shows and does is
 * what the CLI and the SDK can see and do, with the same checks; secrets are listed from the secret
 * store by name and keys, never values.
 *
 * <p>Security: the session cookie is {@code HttpOnly}, {@code SameSite=Strict} (and {@code Secure}
 * over TLS), scoped to the dashboard's paths; every action is a POST that carries the session's
 * CSRF token; pages forbid framing and any script or style not served by the dashboard itself.
 * Failed logins are limited to {@value #LOGIN_FAILURES} per {@value #LOGIN_WINDOW_SECONDS} seconds,
 * live log streams to {@value #MAX_LOG_STREAMS} at once. Thread-safe.
 */
public final class Dashboard implements WebUi {
  static final String COOKIE = "skiff_session";
  static final int LOGIN_FAILURES = 5;
  static final int LOGIN_WINDOW_SECONDS = 10;
  static final int MAX_LOG_STREAMS = 16;
  static final int MAX_FORM_BYTES = 16 * 1024;
  static final int LOG_TAIL = 500;
  private static final Duration RPC_DEADLINE = Duration.ofSeconds(10);
  private static final Duration PING = Duration.ofSeconds(15);
  private static final String HTML = "text/html;charset=utf-8";
  private static final Map<String, String> ASSETS =
      Map.of(
          "htmx.min.js", "META-INF/resources/webjars/htmx.org/2.0.8/dist/htmx.min.js",
          "uPlot.iife.min.js", "META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.iife.min.js",
          "uPlot.min.css", "META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.min.css",
          "dashboard.css", "dev/skiff/server/dashboard/dashboard.css",
          "dashboard.js", "dev/skiff/server/dashboard/dashboard.js");

  private final byte[] clientToken;
  private final Channel api;
  private final Supplier<List<SecretStore.Entry>> secrets;
  private final Clock clock;
  private final Sessions sessions;
  private final Semaphore logStreams = new Semaphore(MAX_LOG_STREAMS);
  private final Object loginLock = new Object();
  private final List<Instant> loginFailures = new ArrayList<>();

  /**
   * A dashboard that logs in with {@code clientToken} and reads through {@code api}, a channel to
   * the control plane that carries that token.
   */
  public Dashboard(
      String clientToken, Channel api, Supplier<List<SecretStore.Entry>> secrets, Clock clock) {
    this.clientToken = clientToken.getBytes(StandardCharsets.UTF_8);
    this.api = api;
    this.secrets = secrets;
    this.clock = clock;
    this.sessions = new Sessions(clock);
  }

  // ------------------------------------------------------------------------------ routing

  @Override
  public void serve(Exchange ex) throws IOException {
    String path = ex.path();
    if (path.equals("/")) {
      redirect(ex, PREFIX);
      return;
    }
    String page = path.substring(PREFIX.length());
    if (page.startsWith("assets/")) {
      asset(ex, page.substring("assets/".length()));
      return;
    }
    // A POST's body is read before anything is answered: an answer to a request whose body was
    // left unread would reset its HTTP/2 stream, and the client would see no answer at all.
    Map<String, List<String>> form = Map.of();
    if (ex.method().equals("POST")) {
      try {
        form = ex.form(MAX_FORM_BYTES);
      } catch (IOException e) {
        text(ex, 413, e.getMessage());
        return;
      }
    }
    if (page.equals("login")) {
      login(ex, form);
      return;
    }
    Optional<Sessions.Session> session = session(ex);
    if (session.isEmpty()) {
      if (ex.method().equals("GET") && !page.startsWith("fragment/") && !page.endsWith("events")) {
        redirect(ex, PREFIX + "login");
      } else {
        text(ex, 401, "not logged in: log in at " + PREFIX + "login");
      }
      return;
    }
    Sessions.Session s = session.get();
    if (ex.method().equals("POST")) {
      String sent = first(form, "csrf").or(() -> ex.header("X-CSRF-Token")).orElse("");
      if (!equal(sent.getBytes(StandardCharsets.UTF_8), s.csrf.getBytes(StandardCharsets.UTF_8))) {
        text(ex, 403, "the form's CSRF token is missing or not this session's; reload the page");
        return;
      }
      try {
        act(ex, s, page, form);
      } catch (StatusRuntimeException e) {
        text(ex, 400, describe(e));
      }
      return;
    }
    if (!ex.method().equals("GET")) {
      text(ex, 405, "the dashboard takes GET and POST requests");
      return;
    }
    try {
      switch (page) {
        case "" -> appsPage(ex, s);
        case "app" -> appPage(ex, s, require(ex, "id"));
        case "fragment/app" -> html(ex, appStatus(require(ex, "id")).toString());
        case "function" -> functionPage(ex, s, require(ex, "app"), require(ex, "name"));
        case "calls" -> callsPage(ex, s);
        case "call" -> callPage(ex, s, require(ex, "id"));
        case "fragment/stats" -> stats(ex, require(ex, "app"), require(ex, "name"));
        case "logs" -> logsPage(ex, s);
        case "logs/events" -> logEvents(ex);
        case "volumes" -> volumesPage(ex, s);
        case "secrets" -> secretsPage(ex, s);
        default -> notFound(ex, s, "no page at " + path);
      }
    } catch (MissingParameter e) {
      text(ex, 400, e.getMessage());
    } catch (StatusRuntimeException e) {
      notFound(ex, s, describe(e));
    }
  }

  private void act(Exchange ex, Sessions.Session s, String page, Map<String, List<String>> form) {
    switch (page) {
      case "logout" -> {
        sessions.end(s.id);
        ex.respond(
            303,
            Map.of("Location", PREFIX + "login", "Set-Cookie", cookie(ex, "", 0)),
            HTML,
            new byte[0]);
      }
      case "apps/stop" -> {
        String id = first(form, "id").orElse("");
        String name = first(form, "name").orElse("");
        if (first(form, "deployed").isPresent()) {
          client().undeployApp(UndeployAppRequest.newBuilder().setAppName(name).build());
        } else {
          client().stopApp(StopAppRequest.newBuilder().setAppId(id).build());
        }
        redirect(ex, PREFIX);
      }
      case "function/autoscaler" -> {
        String app = first(form, "app").orElse("");
        String function = first(form, "name").orElse("");
        AutoscalerSettings settings;
        try {
          settings =
              AutoscalerSettings.newBuilder()
                  .setMinContainers(integer(form, "min"))
                  .setMaxContainers(integer(form, "max"))
                  .setBufferContainers(integer(form, "buffer"))
                  .setScaledownWindowMs(integer(form, "scaledown") * 1000L)
                  .build();
        } catch (NumberFormatException e) {
          text(ex, 400, e.getMessage());
          return;
        }
        client()
            .updateAutoscaler(
                UpdateAutoscalerRequest.newBuilder()
                    .setFunction(FunctionRef.newBuilder().setAppId(app).setFunctionName(function))
                    .setSettings(settings)
                    .build());
        redirect(ex, PREFIX + "function?app=" + Html.q(app) + "&name=" + Html.q(function));
      }
      default -> text(ex, 404, "no action at " + PREFIX + page);
    }
  }

  // ------------------------------------------------------------------------------ login

  private void login(Exchange ex, Map<String, List<String>> form) {
    if (ex.method().equals("GET")) {
      html(ex, loginPage(""));
      return;
    }
    if (!ex.method().equals("POST")) {
      text(ex, 405, "log in with POST");
      return;
    }
    synchronized (loginLock) {
      Instant now = clock.instant();
      loginFailures.removeIf(t -> t.isBefore(now.minusSeconds(LOGIN_WINDOW_SECONDS)));
      if (loginFailures.size() >= LOGIN_FAILURES) {
        ex.respond(
            429,
            Map.of("Retry-After", Integer.toString(LOGIN_WINDOW_SECONDS)),
            HTML,
            bytes(
                loginPage(
                    "Too many wrong tokens in the last "
                        + LOGIN_WINDOW_SECONDS
                        + " seconds; wait and try again.")));
        return;
      }
    }
    String token = first(form, "token").orElse("").strip();
    if (!equal(token.getBytes(StandardCharsets.UTF_8), clientToken)) {
      synchronized (loginLock) {
        loginFailures.add(clock.instant());
      }
      ex.respond(
          401,
          Map.of(),
          HTML,
          bytes(
              loginPage(
                  "That is not this server's client token. It is in the server's data directory"
                      + " (client-token) and in ~/.skiff/config of the machine that ran skiff"
                      + " server.")));
      return;
    }
    Sessions.Session s = sessions.begin();
    ex.respond(
        303,
        Map.of("Location", PREFIX, "Set-Cookie", cookie(ex, s.id, Sessions.LIFETIME.toSeconds())),
        HTML,
        new byte[0]);
  }

  private String loginPage(String problem) {
    Html h = new Html();
    h.raw("<main id=\"main\" class=\"login\"><h1>Skiff</h1>");
    h.raw("<form method=\"post\"").attr("action", PREFIX + "login").raw(">");
    h.raw("<label for=\"token\">Client token</label>");
    h.raw(
        "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\""
            + " required autofocus>");
    h.raw("<button type=\"submit\">Log in</button></form>");
    if (!problem.isEmpty()) {
      h.raw("<p class=\"problem\" role=\"alert\" id=\"login-problem\">").text(problem).raw("</p>");
    }
    h.raw("</main>");
    return layout("Log in", Optional.empty(), h.toString());
  }

  private Optional<Sessions.Session> session(Exchange ex) {
    return ex.header("Cookie").flatMap(Dashboard::sessionCookie).flatMap(sessions::find);
  }

  static Optional<String> sessionCookie(String header) {
    for (String part : header.split(";")) {
      String p = part.strip();
      if (p.startsWith(COOKIE + "=")) {
        return Optional.of(p.substring(COOKIE.length() + 1));
      }
    }
    return Optional.empty();
  }

  private static String cookie(Exchange ex, String value, long maxAgeSeconds) {
    return COOKIE
        + "="
        + value
        + "; Path="
        + PREFIX
        + "; Max-Age="
        + maxAgeSeconds
        + "; HttpOnly; SameSite=Strict"
        + (ex.secure() ? "; Secure" : "");
  }

  // ------------------------------------------------------------------------------ pages

  private void appsPage(Exchange ex, Sessions.Session s) {
    List<AppSummary> apps = client().listApps(ListAppsRequest.getDefaultInstance()).getAppsList();
    Html h = new Html();
    h.raw("<h1>Apps</h1>");
    if (apps.isEmpty()) {
      h.raw("<p>No app runs. Deploy one with <code>skiff deploy</code>.</p>");
    } else {
      h.raw("<div class=\"scroll\"><table id=\"apps\">");
      h.head("App", "State", "Version", "Deployed", "Functions", "Replica", "");
      h.raw("<tbody>");
      for (AppSummary a : apps) {
        h.raw("<tr").attr("data-app", a.getAppName()).raw("><td>");
        h.link(PREFIX + "app?id=" + Html.q(a.getAppId()), a.getAppName());
        h.raw("</td>").cell(state(a.getState()));
        h.cell(a.getVersion() > 0 ? "v" + a.getVersion() : "-");
        h.cell(Html.time(a.getDeployedAtMs()));
        h.cell(String.join(", ", a.getFunctionNamesList()));
        h.cell(a.getReplica().isEmpty() ? "-" : a.getReplica());
        h.raw("<td>");
        if (a.getState() != AppState.APP_DRAINING) {
          boolean deployed =
              a.getState() == AppState.APP_DEPLOYED || a.getState() == AppState.APP_NOT_RESTORED;
          h.raw("<form method=\"post\" class=\"inline\"")
              .attr("action", PREFIX + "apps/stop")
              .raw(">");
          csrf(h, s);
          h.raw("<input type=\"hidden\" name=\"id\"").attr("value", a.getAppId()).raw(">");
          h.raw("<input type=\"hidden\" name=\"name\"").attr("value", a.getAppName()).raw(">");
          if (deployed) {
            h.raw("<input type=\"hidden\" name=\"deployed\" value=\"1\">");
          }
          h.raw("<button type=\"submit\" class=\"danger\"")
              .attr("data-confirm", (deployed ? "Undeploy " : "Stop ") + a.getAppName() + "?")
              .raw(">")
              .text(deployed ? "Undeploy" : "Stop")
              .raw("</button></form>");
        }
        if (!a.getProblem().isEmpty()) {
          h.raw("<p class=\"problem\">").text(a.getProblem()).raw("</p>");
        }
        h.raw("</td></tr>");
      }
      h.raw("</tbody></table></div>");
    }
    html(ex, layout("Apps", Optional.of(s), h.toString()));
  }

  private void appPage(Exchange ex, Sessions.Session s, String appId) {
    AppSummary app = app(appId);
    Html h = new Html();
    h.raw("<h1>").text(app.getAppName()).raw(" <small>").text(state(app.getState()));
    if (app.getVersion() > 0) {
      h.text(" v" + app.getVersion());
    }
    h.raw("</small></h1>");
    h.raw("<p class=\"links\">")
        .link(PREFIX + "logs?app=" + Html.q(appId), "Logs of " + app.getAppName())
        .link(PREFIX + "calls?app=" + Html.q(appId), "Calls of " + app.getAppName());
    h.raw("</p>");
    h.raw("<div hx-trigger=\"every 2s\" hx-swap=\"innerHTML\"")
        .attr("hx-get", PREFIX + "fragment/app?id=" + Html.q(appId))
        .raw(">")
        .raw(appStatus(appId).toString())
        .raw("</div>");
    AppHistory history =
        client().getAppHistory(AppHistoryRequest.newBuilder().setAppId(appId).build());
    if (history.getNextRunsCount() > 0) {
      h.raw("<h2>Schedules</h2><div class=\"scroll\"><table id=\"schedules\">");
      h.head("Function", "Schedule", "Next run");
      h.raw("<tbody>");
      for (NextRun n : history.getNextRunsList()) {
        h.raw("<tr>").cell(n.getFunctionName());
        h.cell(definition(app, n.getFunctionName()).map(Dashboard::schedule).orElse("-"));
        h.cell(Html.time(n.getDueAtMs())).raw("</tr>");
      }
      h.raw("</tbody></table></div>");
    }
    if (history.getRunsCount() > 0) {
      h.raw("<h2>Schedule runs</h2><div class=\"scroll\"><table id=\"runs\">");
      h.head("Function", "Scheduled for", "Started", "Took", "Outcome");
      h.raw("<tbody>");
      for (ScheduledRun r : history.getRunsList()) {
        h.raw("<tr>").cell(r.getFunctionName()).cell(Html.time(r.getScheduledAtMs()));
        h.cell(Html.time(r.getStartedAtMs()));
        h.cell(
            r.getFinishedAtMs() == 0
                ? "running"
                : Html.duration(Duration.ofMillis(r.getFinishedAtMs() - r.getStartedAtMs())));
        h.cell(
            r.getFinishedAtMs() == 0
                ? "-"
                : r.getResult().hasError()
                    ? "failed: "
                        + r.getResult().getError().getClassName()
                        + ": "
                        + r.getResult().getError().getMessage()
                    : "succeeded");
        h.raw("</tr>");
      }
      h.raw("</tbody></table></div>");
    }
    html(ex, layout(app.getAppName(), Optional.of(s), h.toString()));
  }

  /** The functions of an app with their inputs and containers: refreshed every two seconds. */
  private Html appStatus(String appId) {
    AppStatus status = client().getAppStatus(AppStatusRequest.newBuilder().setAppId(appId).build());
    Html h = new Html();
    h.raw("<h2>Functions</h2><div class=\"scroll\"><table id=\"functions\">");
    h.head("Function", "Queued", "Running", "Containers", "Wanted", "Waiting");
    h.raw("<tbody>");
    for (FunctionStatus f : status.getFunctionsList()) {
      h.raw("<tr").attr("data-function", f.getFunctionName()).raw("><td>");
      h.link(
          PREFIX + "function?app=" + Html.q(appId) + "&name=" + Html.q(f.getFunctionName()),
          f.getFunctionName());
      h.raw("</td>").cell(f.getQueuedInputs()).cell(f.getRunningInputs());
      h.cell(byState(f.getContainersList()));
      h.cell(f.getDesiredContainers());
      h.cell(
          f.getWaitingContainers() == 0
              ? "-"
              : f.getWaitingContainers() + " waiting: " + f.getWaitingReason());
      h.raw("</tr>");
    }
    h.raw("</tbody></table></div>");
    h.raw("<h2>Containers</h2>");
    containers(h, appId, status);
    return h;
  }

  private void containers(Html h, String appId, AppStatus status) {
    List<ContainerStatus> all = new ArrayList<>();
    List<String> functions = new ArrayList<>();
    for (FunctionStatus f : status.getFunctionsList()) {
      for (ContainerStatus c : f.getContainersList()) {
        all.add(c);
        functions.add(f.getFunctionName());
      }
    }
    for (ContainerStatus c : status.getWarmContainersList()) {
      all.add(c);
      functions.add("(warm pool)");
    }
    if (all.isEmpty()) {
      h.raw("<p>No container runs.</p>");
      return;
    }
    long now = clock.millis();
    h.raw("<div class=\"scroll\"><table id=\"containers\">");
    h.head("Container", "Function", "State", "Inputs", "Up", "CPU time", "Memory", "");
    h.raw("<tbody>");
    for (int i = 0; i < all.size(); i++) {
      ContainerStatus c = all.get(i);
      h.raw("<tr").attr("data-container", c.getContainerId()).raw(">");
      h.cell(c.getContainerId()).cell(functions.get(i)).cell(state(c.getState()));
      h.cell(c.getRunningInputs());
      h.cell(
          c.getCreatedAtMs() == 0
              ? "-"
              : Html.duration(Duration.ofMillis(Math.max(0, now - c.getCreatedAtMs()))));
      h.cell(c.hasCpuMillis() ? Html.duration(Duration.ofMillis(c.getCpuMillis())) : "-");
      h.cell(
          c.hasMemoryBytes()
              ? String.format("%.0f MiB", c.getMemoryBytes() / (1024.0 * 1024.0))
              : "-");
      h.raw("<td>");
      h.link(
          PREFIX + "logs?app=" + Html.q(appId) + "&container=" + Html.q(c.getContainerId()),
          "logs");
      h.raw("</td></tr>");
    }
    h.raw("</tbody></table></div>");
  }

  private void functionPage(Exchange ex, Sessions.Session s, String appId, String name) {
    AppSummary app = app(appId);
    AppStatus status = client().getAppStatus(AppStatusRequest.newBuilder().setAppId(appId).build());
    FunctionStatus f =
        status.getFunctionsList().stream()
            .filter(x -> x.getFunctionName().equals(name))
            .findFirst()
            .orElseThrow(
                () ->
                    Status.NOT_FOUND
                        .withDescription(
                            "app " + app.getAppName() + " has no function '" + name + "'")
                        .asRuntimeException());
    Optional<FunctionDef> def = definition(app, name);
    Html h = new Html();
    h.raw("<h1>").link(PREFIX + "app?id=" + Html.q(appId), app.getAppName());
    h.raw(" / ").text(name).raw("</h1>");
    String fn = "app=" + Html.q(appId) + "&function=" + Html.q(name);
    h.raw("<p class=\"links\">")
        .link(PREFIX + "logs?" + fn, "Logs of " + name)
        .link(PREFIX + "calls?" + fn, "Calls of " + name);
    h.raw("</p>");
    h.raw("<section><h2>The last hour</h2><div class=\"charts\" id=\"charts\"")
        .attr(
            "data-stats", PREFIX + "fragment/stats?app=" + Html.q(appId) + "&name=" + Html.q(name))
        .raw("><noscript>The charts need JavaScript.</noscript></div></section>");
    h.raw("<section><h2>Now</h2><dl class=\"facts\" id=\"now\">");
    fact(h, "Queued inputs", f.getQueuedInputs());
    fact(h, "Running inputs", f.getRunningInputs());
    fact(h, "Containers", byState(f.getContainersList()));
    fact(h, "Wanted containers", f.getDesiredContainers());
    fact(
        h,
        "Waiting",
        f.getWaitingContainers() == 0
            ? "-"
            : f.getWaitingContainers() + ": " + f.getWaitingReason());
    h.raw("</dl></section>");
    def.ifPresent(d -> options(h, d));
    AutoscalerSettings a = f.getAutoscaler();
    h.raw("<section><h2>Autoscaler</h2>");
    h.raw("<form method=\"post\" id=\"autoscaler\" class=\"grid\"")
        .attr("action", PREFIX + "function/autoscaler")
        .raw(">");
    csrf(h, s);
    h.raw("<input type=\"hidden\" name=\"app\"").attr("value", appId).raw(">");
    h.raw("<input type=\"hidden\" name=\"name\"").attr("value", name).raw(">");
    number(h, "min", "Min containers", a.getMinContainers(), 0);
    number(h, "max", "Max containers", a.getMaxContainers(), 1);
    number(h, "buffer", "Buffer containers", a.getBufferContainers(), 0);
    number(h, "scaledown", "Scale-down window (s)", a.getScaledownWindowMs() / 1000, 1);
    h.raw("<button type=\"submit\">Apply</button></form></section>");
    h.raw("<section><h2>Recent calls</h2>");
    callTable(
        h,
        client()
            .listCalls(
                ListCallsRequest.newBuilder()
                    .setAppId(appId)
                    .setFunctionName(name)
                    .setLimit(20)
                    .build())
            .getCallsList(),
        false);
    h.raw("</section>");
    html(ex, layout(app.getAppName() + " / " + name, Optional.of(s), h.toString()));
  }

  private Optional<FunctionDef> definition(AppSummary app, String name) {
    try {
      return Optional.of(
          client()
              .lookupFunction(
                  LookupFunctionRequest.newBuilder()
                      .setAppId(app.getAppId())
                      .setFunctionName(name)
                      .build())
              .getFunction());
    } catch (StatusRuntimeException e) {
      return Optional.empty();
    }
  }

  private static String schedule(FunctionDef d) {
    if (!d.hasSchedule()) {
      return "-";
    }
    return d.getSchedule().hasCron()
        ? "cron "
            + d.getSchedule().getCron().getExpression()
            + (d.getSchedule().getCron().getZone().isEmpty()
                ? ""
                : " (" + d.getSchedule().getCron().getZone() + ")")
        : "every " + Html.duration(Duration.ofMillis(d.getSchedule().getPeriodMs()));
  }

  private static void options(Html h, FunctionDef d) {
    h.raw("<section><h2>Options</h2><dl class=\"facts\" id=\"options\">");
    fact(h, "Method", d.getClassName() + "." + d.getMethodName());
    fact(h, "Image", d.getImageId().isEmpty() ? "the app's classpath" : d.getImageId());
    fact(
        h,
        "CPU",
        d.getCpuRequest() == 0 && d.getCpuLimit() == 0
            ? "-"
            : d.getCpuRequest()
                + " reserved, limit "
                + (d.getCpuLimit() == 0 ? "none" : d.getCpuLimit()));
    fact(
        h,
        "Memory",
        d.getMemoryRequestMib() == 0 && d.getMemoryLimitMib() == 0
            ? "-"
            : d.getMemoryRequestMib()
                + " MiB reserved, limit "
                + (d.getMemoryLimitMib() == 0 ? "the default" : d.getMemoryLimitMib() + " MiB"));
    fact(h, "GPU", d.getGpusCount() == 0 ? "-" : String.join(", ", d.getGpusList()));
    fact(h, "Regions", d.getRegionsCount() == 0 ? "any" : String.join(", ", d.getRegionsList()));
    fact(
        h,
        "Timeout",
        d.getTimeoutMs() == 0 ? "the default" : Html.duration(Duration.ofMillis(d.getTimeoutMs())));
    fact(h, "Retries", d.getRetries().getMaxRetries());
    fact(h, "Concurrent inputs", d.getConcurrentInputs());
    fact(h, "Schedule", schedule(d));
    fact(
        h,
        "Web endpoint",
        d.hasWebEndpoint()
            ? d.getWebEndpoint().getMethod() + " " + d.getWebEndpoint().getLabel()
            : "-");
    List<String> volumes = new ArrayList<>();
    d.getVolumesList().forEach(v -> volumes.add(v.getVolume() + " at " + v.getPath()));
    fact(h, "Volumes", volumes.isEmpty() ? "-" : String.join(", ", volumes));
    h.raw("</dl></section>");
  }

  private void callsPage(Exchange ex, Sessions.Session s) {
    Map<String, List<String>> q = ex.query();
    String appId = first(q, "app").orElse("");
    String function = first(q, "function").orElse("");
    String id = first(q, "id").orElse("").strip();
    if (!id.isEmpty()) {
      redirect(ex, PREFIX + "call?id=" + Html.q(id));
      return;
    }
    Html h = new Html();
    h.raw("<h1>Calls");
    if (!appId.isEmpty()) {
      AppSummary app = app(appId);
      h.raw(" of ").link(PREFIX + "app?id=" + Html.q(appId), app.getAppName());
      if (!function.isEmpty()) {
        h.raw(" / ").text(function);
      }
    }
    h.raw("</h1>");
    h.raw("<form method=\"get\" class=\"inline\" id=\"call-search\"")
        .attr("action", PREFIX + "calls")
        .raw(">");
    h.raw("<label for=\"id\">Call id</label>");
    h.raw("<input id=\"id\" name=\"id\" type=\"search\" placeholder=\"fc-… or in-…\"");
    h.raw(" required><button type=\"submit\">Find</button></form>");
    List<CallSummary> calls =
        client()
            .listCalls(
                ListCallsRequest.newBuilder()
                    .setAppId(appId)
                    .setFunctionName(function)
                    .setLimit(100)
                    .build())
            .getCallsList();
    callTable(h, calls, appId.isEmpty() || function.isEmpty());
    html(ex, layout("Calls", Optional.of(s), h.toString()));
  }

  private static void callTable(Html h, List<CallSummary> calls, boolean withFunction) {
    if (calls.isEmpty()) {
      h.raw("<p>No call yet.</p>");
      return;
    }
    h.raw("<div class=\"scroll\"><table id=\"calls\">");
    if (withFunction) {
      h.head("Call", "Function", "Kind", "Status", "Submitted", "Took", "Attempts");
    } else {
      h.head("Call", "Kind", "Status", "Submitted", "Took", "Attempts");
    }
    h.raw("<tbody>");
    for (CallSummary c : calls) {
      h.raw("<tr").attr("data-call", c.getCallId()).raw("><td>");
      h.link(PREFIX + "call?id=" + Html.q(c.getCallId()), c.getCallId()).raw("</td>");
      if (withFunction) {
        h.cell(c.getAppName() + " / " + c.getFunctionName());
      }
      h.cell(kind(c.getKind()));
      h.raw("<td").attr("class", "status " + state(c.getState())).raw(">");
      h.text(state(c.getState())).raw("</td>");
      h.cell(Html.time(c.getSubmittedAtMs()));
      h.cell(took(c));
      h.cell(c.getAttemptsCount());
      h.raw("</tr>");
    }
    h.raw("</tbody></table></div>");
  }

  private void callPage(Exchange ex, Sessions.Session s, String id) {
    List<CallSummary> found =
        client().listCalls(ListCallsRequest.newBuilder().setCallId(id).build()).getCallsList();
    if (found.isEmpty()) {
      notFound(
          ex,
          s,
          "no call "
              + id
              + " is remembered: the dashboard shows each function's last 500 calls while it"
              + " runs, and for a while after it stops");
      return;
    }
    CallSummary c = found.get(0);
    Html h = new Html();
    h.raw("<h1>Call ").text(c.getCallId()).raw("</h1>");
    h.raw("<dl class=\"facts\" id=\"call\">");
    h.raw("<dt>Function</dt><dd>")
        .link(
            PREFIX
                + "function?app="
                + Html.q(c.getAppId())
                + "&name="
                + Html.q(c.getFunctionName()),
            c.getAppName() + " / " + c.getFunctionName())
        .raw("</dd>");
    fact(h, "Kind", kind(c.getKind()));
    fact(h, "Status", state(c.getState()));
    fact(h, "Submitted", Html.time(c.getSubmittedAtMs()));
    fact(h, "Started", Html.time(c.getStartedAtMs()));
    fact(h, "Finished", Html.time(c.getFinishedAtMs()));
    fact(h, "Took", took(c));
    h.raw("</dl>");
    if (c.hasError()) {
      h.raw("<h2>Error</h2>");
      error(h, c.getError());
    }
    h.raw("<h2>Attempts</h2>");
    if (c.getAttemptsCount() == 0) {
      h.raw("<p>None yet: the call waits for a container.</p>");
    } else {
      h.raw("<div class=\"scroll\"><table id=\"attempts\">");
      h.head("Attempt", "Container", "Started", "Took", "Outcome");
      h.raw("<tbody>");
      for (CallAttempt a : c.getAttemptsList()) {
        h.raw("<tr>").cell(a.getNumber()).raw("<td>");
        h.link(
            PREFIX
                + "logs?app="
                + Html.q(c.getAppId())
                + "&container="
                + Html.q(a.getContainerId()),
            a.getContainerId());
        h.raw("</td>").cell(Html.time(a.getStartedAtMs()));
        h.cell(
            a.getFinishedAtMs() == 0
                ? "running"
                : Html.duration(Duration.ofMillis(a.getFinishedAtMs() - a.getStartedAtMs())));
        h.cell(a.getFinishedAtMs() == 0 ? "-" : a.hasError() ? summary(a.getError()) : "succeeded");
        h.raw("</tr>");
      }
      h.raw("</tbody></table></div>");
    }
    html(ex, layout("Call " + c.getCallId(), Optional.of(s), h.toString()));
  }

  /** An error with its remote stack trace and causes, as the caller's exception would print. */
  private static void error(Html h, ErrorInfo e) {
    h.raw("<pre class=\"trace\" id=\"error\">");
    ErrorInfo cause = e;
    for (int depth = 0; cause != null && depth < 8; depth++) {
      h.text((depth == 0 ? "" : "Caused by: ") + summary(cause) + "\n");
      for (Frame f : cause.getFramesList()) {
        h.text(
            "\tat "
                + f.getDeclaringClass()
                + "."
                + f.getMethod()
                + "("
                + (f.getFile().isEmpty() ? "Unknown Source" : f.getFile() + ":" + f.getLine())
                + ")\n");
      }
      cause = cause.hasCause() ? cause.getCause() : null;
    }
    h.raw("</pre>");
  }

  private static String summary(ErrorInfo e) {
    return (e.getClassName().isEmpty() ? e.getKind().toString() : e.getClassName())
        + (e.getMessage().isEmpty() ? "" : ": " + e.getMessage());
  }

  private static String took(CallSummary c) {
    if (c.getFinishedAtMs() == 0) {
      return c.getStartedAtMs() == 0 ? "waiting" : "running";
    }
    return Html.duration(Duration.ofMillis(c.getFinishedAtMs() - c.getSubmittedAtMs()));
  }

  /** A function's last hour as JSON, for its charts: one array per series, minute by minute. */
  private void stats(Exchange ex, String appId, String name) {
    List<MinuteStats> minutes =
        client()
            .getFunctionStats(
                FunctionRef.newBuilder().setAppId(appId).setFunctionName(name).build())
            .getMinutesList();
    StringBuilder json = new StringBuilder("{");
    series(json, "t", minutes, m -> m.getMinuteMs() / 1000);
    series(json, "calls", minutes, MinuteStats::getCalls);
    series(json, "failures", minutes, MinuteStats::getFailures);
    series(json, "p50", minutes, m -> m.getP50Us() / 1000.0);
    series(json, "p99", minutes, m -> m.getP99Us() / 1000.0);
    series(json, "coldStarts", minutes, MinuteStats::getColdStarts);
    json.setLength(json.length() - 1);
    json.append('}');
    ex.respond(200, headers(), "application/json", bytes(json.toString()));
  }

  private static void series(
      StringBuilder json,
      String name,
      List<MinuteStats> minutes,
      Function<MinuteStats, Number> value) {
    json.append('"').append(name).append("\":[");
    for (int i = 0; i < minutes.size(); i++) {
      json.append(i == 0 ? "" : ",").append(value.apply(minutes.get(i)));
    }
    json.append("],");
  }

  private static String kind(CallKind k) {
    return switch (k) {
      case CALL_REMOTE -> "remote";
      case CALL_MAP -> "map";
      case CALL_SPAWN -> "spawn";
      case CALL_GENERATOR -> "generator";
      case CALL_SCHEDULED -> "scheduled";
      case CALL_WEB -> "web";
      default -> "call";
    };
  }

  private static String state(CallState st) {
    return switch (st) {
      case CALL_QUEUED -> "queued";
      case CALL_RUNNING -> "running";
      case CALL_SUCCEEDED -> "succeeded";
      case CALL_FAILED -> "failed";
      case CALL_CANCELLED -> "cancelled";
      default -> "unknown";
    };
  }

  private void logsPage(Exchange ex, Sessions.Session s) {
    Map<String, List<String>> q = ex.query();
    String appId = first(q, "app").orElse("");
    String function = first(q, "function").orElse("");
    String container = first(q, "container").orElse("");
    String filter = first(q, "q").orElse("");
    StreamLogsRequest.Builder request =
        StreamLogsRequest.newBuilder().setTail(LOG_TAIL).setKeptOnly(true);
    request.setAppId(appId).setContainerId(container);
    String title = "Logs";
    Html h = new Html();
    if (!appId.isEmpty()) {
      AppSummary app = app(appId);
      title = "Logs of " + app.getAppName();
      h.raw("<h1>Logs of ").link(PREFIX + "app?id=" + Html.q(appId), app.getAppName());
      if (!function.isEmpty()) {
        h.raw(" / ").text(function);
      }
      if (!container.isEmpty()) {
        h.raw(" / ").text(container);
      }
      h.raw("</h1>");
    } else if (!container.isEmpty()) {
      h.raw("<h1>Logs of ").text(container).raw("</h1>");
    } else {
      text(ex, 400, "logs of what? give app=<app id> or container=<container id>");
      return;
    }
    h.raw("<form method=\"get\" class=\"inline\" id=\"log-filter\"")
        .attr("action", PREFIX + "logs")
        .raw(">");
    hidden(h, "app", appId);
    hidden(h, "function", function);
    hidden(h, "container", container);
    h.raw("<label for=\"q\">Only lines with</label><input id=\"q\" name=\"q\" type=\"search\"")
        .attr("value", filter)
        .raw("><button type=\"submit\">Filter</button></form>");
    h.raw("<pre id=\"log\" class=\"log\" aria-live=\"polite\"")
        .attr(
            "data-events",
            PREFIX
                + "logs/events?app="
                + Html.q(appId)
                + "&function="
                + Html.q(function)
                + "&container="
                + Html.q(container)
                + "&q="
                + Html.q(filter))
        .raw(">");
    Iterator<LogLine> kept =
        ClientApiGrpc.newBlockingStub(api)
            .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .streamLogs(request.build());
    while (kept.hasNext()) {
      LogLine line = kept.next();
      if (matches(line, function, filter)) {
        h.raw("<span").attr("class", line.getStderr() ? "line err" : "line").raw(">");
        h.text(render(line)).raw("</span>\n");
      }
    }
    h.raw("</pre>");
    html(ex, layout(title, Optional.of(s), h.toString()));
  }

  /** New log lines as server-sent events, one per line, until the browser leaves. */
  private void logEvents(Exchange ex) throws IOException {
    Map<String, List<String>> q = ex.query();
    String appId = first(q, "app").orElse("");
    String function = first(q, "function").orElse("");
    String container = first(q, "container").orElse("");
    String filter = first(q, "q").orElse("");
    if (!logStreams.tryAcquire()) {
      ex.respond(
          503,
          Map.of("Retry-After", "5"),
          "text/plain;charset=utf-8",
          bytes("the dashboard serves " + MAX_LOG_STREAMS + " live logs at once; close one"));
      return;
    }
    BlockingQueue<Object> lines = new ArrayBlockingQueue<>(1024);
    AtomicReference<ClientCallStreamObserver<StreamLogsRequest>> call = new AtomicReference<>();
    Object end = new Object();
    try (EventStream events = ex.events(Map.of())) {
      ClientApiGrpc.newStub(api)
          .streamLogs(
              StreamLogsRequest.newBuilder().setAppId(appId).setContainerId(container).build(),
              new ClientResponseObserver<StreamLogsRequest, LogLine>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<StreamLogsRequest> stream) {
                  call.set(stream);
                }

                @Override
                public void onNext(LogLine line) {
                  if (matches(line, function, filter) && !lines.offer(line)) {
                    lines.poll(); // the browser is behind: the oldest line goes
                    lines.offer(line);
                  }
                }

                @Override
                public void onError(Throwable t) {
                  lines.offer(end);
                }

                @Override
                public void onCompleted() {
                  lines.offer(end);
                }
              });
      while (true) {
        Object next = lines.poll(PING.toMillis(), TimeUnit.MILLISECONDS);
        if (next == null) {
          events.ping();
        } else if (next == end) {
          break;
        } else {
          LogLine line = (LogLine) next;
          events.send((line.getStderr() ? "E" : "O") + render(line));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The browser left.
    } finally {
      Optional.ofNullable(call.get()).ifPresent(c -> c.cancel("the browser left", null));
      logStreams.release();
    }
  }

  private static boolean matches(LogLine line, String function, String filter) {
    return (function.isEmpty() || function.equals(line.getFunctionName()))
        && (filter.isEmpty() || line.getText().contains(filter));
  }

  private static String render(LogLine line) {
    return Html.time(line.getTimestampMs())
        + " "
        + (line.getFunctionName().isEmpty() ? "" : line.getFunctionName() + " ")
        + (line.getContainerId().isEmpty() ? "" : "[" + line.getContainerId() + "] ")
        + line.getText();
  }

  private void volumesPage(Exchange ex, Sessions.Session s) {
    List<VolumeInfo> volumes =
        VolumeApiGrpc.newBlockingStub(api)
            .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .listVolumes(ListVolumesRequest.getDefaultInstance())
            .getVolumesList();
    Html h = new Html();
    h.raw("<h1>Volumes</h1>");
    if (volumes.isEmpty()) {
      h.raw("<p>No volume.</p>");
    } else {
      h.raw("<div class=\"scroll\"><table id=\"volumes\">")
          .head("Volume", "Created")
          .raw("<tbody>");
      for (VolumeInfo v : volumes) {
        h.raw("<tr>").cell(v.getName()).cell(Html.time(v.getCreatedMs())).raw("</tr>");
      }
      h.raw("</tbody></table></div>");
    }
    html(ex, layout("Volumes", Optional.of(s), h.toString()));
  }

  private void secretsPage(Exchange ex, Sessions.Session s) {
    List<SecretStore.Entry> entries = secrets.get();
    Html h = new Html();
    h.raw("<h1>Secrets</h1><p>Names and keys only: values are never shown.</p>");
    if (entries.isEmpty()) {
      h.raw("<p>No secret. Create one with <code>skiff secret create</code>.</p>");
    } else {
      h.raw("<div class=\"scroll\"><table id=\"secrets\">")
          .head("Secret", "Keys", "Updated")
          .raw("<tbody>");
      for (SecretStore.Entry e : entries) {
        h.raw("<tr").attr("data-secret", e.name()).raw(">").cell(e.name());
        h.cell(String.join(", ", e.keys()));
        h.cell(Html.time(e.updated().toEpochMilli())).raw("</tr>");
      }
      h.raw("</tbody></table></div>");
    }
    html(ex, layout("Secrets", Optional.of(s), h.toString()));
  }

  private void notFound(Exchange ex, Sessions.Session s, String why) {
    Html h = new Html();
    h.raw("<h1>Not found</h1><p class=\"problem\">").text(why).raw("</p>");
    ex.respond(404, headers(), HTML, bytes(layout("Not found", Optional.of(s), h.toString())));
  }

  // ------------------------------------------------------------------------------ layout

  private static String layout(String title, Optional<Sessions.Session> s, String main) {
    Html h = new Html();
    h.raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    h.raw("<meta name=\"htmx-config\" content='{\"includeIndicatorStyles\":false}'>");
    h.raw("<title>").text(title).raw(" · Skiff</title>");
    h.raw("<link rel=\"stylesheet\"").attr("href", PREFIX + "assets/dashboard.css").raw(">");
    h.raw("<link rel=\"stylesheet\"").attr("href", PREFIX + "assets/uPlot.min.css").raw(">");
    h.raw("<script defer").attr("src", PREFIX + "assets/htmx.min.js").raw("></script>");
    h.raw("<script defer").attr("src", PREFIX + "assets/uPlot.iife.min.js").raw("></script>");
    h.raw("<script defer").attr("src", PREFIX + "assets/dashboard.js").raw("></script>");
    h.raw("</head><body");
    s.ifPresent(x -> h.attr("data-csrf", x.csrf));
    h.raw("><a class=\"skip\" href=\"#main\">Skip to content</a>");
    if (s.isPresent()) {
      h.raw("<header><nav aria-label=\"Sections\"><a class=\"brand\"")
          .attr("href", PREFIX)
          .raw(">Skiff</a>");
      h.link(PREFIX, "Apps")
          .link(PREFIX + "calls", "Calls")
          .link(PREFIX + "volumes", "Volumes")
          .link(PREFIX + "secrets", "Secrets");
      h.raw("<form method=\"post\" class=\"inline logout\"")
          .attr("action", PREFIX + "logout")
          .raw(">");
      csrf(h, s.get());
      h.raw("<button type=\"submit\">Log out</button></form></nav></header>");
      h.raw("<main id=\"main\">").raw(main).raw("</main>");
    } else {
      h.raw(main);
    }
    return h.raw("</body></html>").toString();
  }

  private static void csrf(Html h, Sessions.Session s) {
    h.raw("<input type=\"hidden\" name=\"csrf\"").attr("value", s.csrf).raw(">");
  }

  private static void hidden(Html h, String name, String value) {
    if (!value.isEmpty()) {
      h.raw("<input type=\"hidden\"").attr("name", name).attr("value", value).raw(">");
    }
  }

  private static void fact(Html h, String label, Object value) {
    h.raw("<dt>").text(label).raw("</dt><dd>").text(value).raw("</dd>");
  }

  private static void number(Html h, String name, String label, long value, int min) {
    h.raw("<label").attr("for", name).raw(">").text(label).raw("</label>");
    h.raw("<input type=\"number\"")
        .attr("id", name)
        .attr("name", name)
        .attr("value", value)
        .attr("min", min)
        .raw(" required>");
  }

  private static String byState(List<ContainerStatus> containers) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (ContainerStatus c : containers) {
      counts.merge(state(c.getState()), 1, Integer::sum);
    }
    if (counts.isEmpty()) {
      return "none";
    }
    List<String> parts = new ArrayList<>();
    counts.forEach((state, n) -> parts.add(n + " " + state));
    return String.join(", ", parts);
  }

  private static String state(AppState s) {
    return switch (s) {
      case APP_DEPLOYED -> "deployed";
      case APP_EPHEMERAL -> "running";
      case APP_DRAINING -> "draining";
      case APP_NOT_RESTORED -> "not restored";
      default -> "unknown";
    };
  }

  private static String state(ContainerState s) {
    return switch (s) {
      case CONTAINER_STARTING -> "starting";
      case CONTAINER_IDLE -> "idle";
      case CONTAINER_BUSY -> "busy";
      case CONTAINER_STOPPING -> "stopping";
      case CONTAINER_WARM -> "warm";
      default -> "unknown";
    };
  }

  // ------------------------------------------------------------------------------ helpers

  private ClientApiGrpc.ClientApiBlockingStub client() {
    return ClientApiGrpc.newBlockingStub(api)
        .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  private AppSummary app(String appId) {
    return client().listApps(ListAppsRequest.getDefaultInstance()).getAppsList().stream()
        .filter(a -> a.getAppId().equals(appId))
        .findFirst()
        .orElseThrow(
            () ->
                Status.NOT_FOUND
                    .withDescription("no app " + appId + " runs now")
                    .asRuntimeException());
  }

  private static String describe(StatusRuntimeException e) {
    String d = e.getStatus().getDescription();
    return d == null ? e.getStatus().getCode().toString() : d;
  }

  private void asset(Exchange ex, String name) throws IOException {
    String resource = ASSETS.get(name);
    if (resource == null) {
      text(ex, 404, "no asset " + name);
      return;
    }
    byte[] body;
    try (InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new UncheckedIOException(
            new IOException("the dashboard's asset " + resource + " is not on the classpath"));
      }
      body = in.readAllBytes();
    }
    String type =
        name.endsWith(".js")
            ? "text/javascript;charset=utf-8"
            : name.endsWith(".css") ? "text/css;charset=utf-8" : "application/octet-stream";
    ex.respond(
        200,
        Map.of("Cache-Control", "max-age=3600", "X-Content-Type-Options", "nosniff"),
        type,
        body);
  }

  private static Map<String, String> headers() {
    return Map.of(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        "X-Content-Type-Options",
        "nosniff",
        "Referrer-Policy",
        "no-referrer",
        "Cache-Control",
        "no-store");
  }

  private static void html(Exchange ex, String page) {
    ex.respond(200, headers(), HTML, bytes(page));
  }

  private static void text(Exchange ex, int status, String message) {
    ex.respond(status, headers(), "text/plain;charset=utf-8", bytes(message));
  }

  private static void redirect(Exchange ex, String location) {
    ex.respond(303, Map.of("Location", location), HTML, new byte[0]);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static boolean equal(byte[] a, byte[] b) {
    return MessageDigest.isEqual(a, b);
  }

  private static Optional<String> first(Map<String, List<String>> fields, String name) {
    List<String> values = fields.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  private static int integer(Map<String, List<String>> form, String name) {
    String value = first(form, name).orElse("").strip();
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new NumberFormatException(name + " must be a whole number, not '" + value + "'");
    }
  }

  private static String require(Exchange ex, String name) {
    return first(ex.query(), name)
        .filter(v -> !v.isEmpty())
        .orElseThrow(() -> new MissingParameter("this page needs the parameter " + name));
  }

  private static final class MissingParameter extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MissingParameter(String message) {
      super(message);
    }
  }
}
