// Skiff dashboard: the little script its pages need (no inline script is allowed by their policy).
(function () {
  "use strict";

  // Every htmx request carries the session's CSRF token, as every form does.
  document.addEventListener("htmx:configRequest", function (e) {
    var csrf = document.body.getAttribute("data-csrf");
    if (csrf) {
      e.detail.headers["X-CSRF-Token"] = csrf;
    }
  });

  // Buttons that undo something ask first.
  document.addEventListener("submit", function (e) {
    var button = e.submitter || e.target.querySelector("[data-confirm]");
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      e.preventDefault();
    }
  });

  // Live logs: new lines arrive as server-sent events and are added under the kept ones.
  function followLogs(pre) {
    var source = new EventSource(pre.getAttribute("data-events"));
    source.onmessage = function (e) {
      var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      var span = document.createElement("span");
      span.className = e.data.charAt(0) === "E" ? "line err" : "line";
      span.textContent = e.data.substring(1);
      pre.appendChild(span);
      pre.appendChild(document.createTextNode("\n"));
      while (pre.childNodes.length > 20000) {
        pre.removeChild(pre.firstChild);
      }
      if (atBottom) {
        pre.scrollTop = pre.scrollHeight;
      }
    };
    window.addEventListener("beforeunload", function () {
      source.close();
    });
  }

  // A function's last hour: small charts from its per-minute statistics, redrawn every 30 s.
  function drawCharts(box) {
    fetch(box.getAttribute("data-stats"), { credentials: "same-origin" })
      .then(function (r) {
        return r.json();
      })
      .then(function (d) {
        box.textContent = "";
        // Every minute of the last hour, the quiet ones as zero (no duration: a gap).
        var last = Math.floor(Date.now() / 60000) * 60;
        var t = [];
        var at = {};
        for (var i = 59; i >= 0; i--) {
          t.push(last - i * 60);
        }
        d.t.forEach(function (x, i) {
          at[x] = i;
        });
        function column(values, quiet) {
          return t.map(function (x) {
            return at[x] === undefined ? quiet : values[at[x]];
          });
        }
        var calls = column(d.calls, 0);
        var failures = column(d.failures, 0);
        var errorRate = calls.map(function (n, i) {
          return n === 0 ? null : (100 * failures[i]) / n;
        });
        var charts = [
          { title: "Calls per minute", series: [{ label: "calls", stroke: "#0a58ca", values: calls }] },
          {
            title: "Duration (ms)",
            gaps: true,
            series: [
              { label: "p50", stroke: "#1a7f37", values: column(d.p50, null) },
              { label: "p99", stroke: "#bf8700", values: column(d.p99, null) }
            ]
          },
          { title: "Error rate (%)", gaps: true, series: [{ label: "errors", stroke: "#b42318", values: errorRate }] },
          {
            title: "Cold starts",
            series: [{ label: "cold starts", stroke: "#6f42c1", values: column(d.coldStarts, 0) }]
          }
        ];
        charts.forEach(function (c) {
          var div = document.createElement("div");
          div.className = "chart";
          div.setAttribute("role", "img");
          div.setAttribute("aria-label", c.title + " over the last hour");
          box.appendChild(div);
          new window.uPlot(
            {
              title: c.title,
              width: Math.max(260, div.clientWidth),
              height: 160,
              scales: { x: { time: true, range: [t[0], t[t.length - 1]] } },
              series: [{}].concat(
                c.series.map(function (s) {
                  // Points where a series has gaps (durations), a line elsewhere.
                  return { label: s.label, stroke: s.stroke, width: 2, points: { show: c.gaps } };
                })
              ),
              axes: [{ space: 90 }, { size: 50 }]
            },
            [t].concat(
              c.series.map(function (s) {
                return s.values;
              })
            ),
            div
          );
        });
      })
      .catch(function () {
        box.textContent = "The charts could not be loaded.";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var charts = document.getElementById("charts");
    if (charts && charts.getAttribute("data-stats") && window.uPlot) {
      drawCharts(charts);
      window.setInterval(function () {
        drawCharts(charts);
      }, 30000);
    }
    var pre = document.getElementById("log");
    if (pre && pre.getAttribute("data-events")) {
      pre.scrollTop = pre.scrollHeight;
      followLogs(pre);
    }
  });
})();
