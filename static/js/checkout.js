// Small enhancements only: every page works without this file.
(function () {
  "use strict";

  // Countdown beside each hold expiry time ("14 min left").
  function tick() {
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var out = el.parentElement.querySelector(".countdown");
      if (!out) return;
      var ms = new Date(el.getAttribute("datetime")) - new Date();
      if (ms <= 0) { out.textContent = " (expired: continue and we will hold again)"; return; }
      var min = Math.floor(ms / 60000), sec = Math.floor((ms % 60000) / 1000);
      out.textContent = " (" + min + " min " + (sec < 10 ? "0" : "") + sec + " s left)";
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);

  // Network trouble: say so plainly, and retry the request with exponential backoff.
  // The booking state lives on the server, so a retry or a reload resumes where it was.
  var attempts = new WeakMap();
  function banner(text) {
    var box = document.getElementById("connection-status");
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }
  document.addEventListener("htmx:sendError", function (evt) {
    banner("Connection lost. Please try again.");
    var elt = evt.detail.elt, n = (attempts.get(elt) || 0) + 1;
    attempts.set(elt, n);
    if (n <= 5) {
      setTimeout(function () { htmx.trigger(elt, evt.detail.requestConfig.triggeringEvent ? evt.detail.requestConfig.triggeringEvent.type : "change"); },
                 Math.min(16000, 500 * Math.pow(2, n)));
    }
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.successful || (evt.detail.xhr && evt.detail.xhr.status)) {
      attempts.delete(evt.detail.elt);
      banner("");
    }
  });
  document.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail.xhr.status >= 500) banner("Something went wrong on our side. Please try again.");
  });
})();
