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

  document.addEventListener("DOMContentLoaded", function () {
    var pre = document.getElementById("log");
    if (pre && pre.getAttribute("data-events")) {
      pre.scrollTop = pre.scrollHeight;
      followLogs(pre);
    }
  });
})();
