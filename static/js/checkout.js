// Small enhancements only: every page works without this file.
(function () {
  "use strict";

  // Countdown beside each hold expiry time (" · 14:32 left"), and one spoken warning in the
  // hold's role=status line when 2 minutes are left (issue 11 #10).
  var warned = false;
  function tick() {
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var notice = el.closest(".hold-notice") || el.parentElement;
      var out = notice.querySelector(".countdown");
      if (!out) return;
      var ms = new Date(el.getAttribute("datetime")) - new Date();
      if (ms <= 0) { out.textContent = " (expired: continue and we will hold again)"; return; }
      var min = Math.floor(ms / 60000), sec = Math.floor((ms % 60000) / 1000);
      out.textContent = " · " + min + ":" + (sec < 10 ? "0" : "") + sec + " left";
      var warning = notice.querySelector(".hold-warning");
      if (warning && ms <= 120000 && !warned) {
        warned = true;
        warning.textContent = "About 2 minutes left on your hold." +
          (notice.querySelector(".hold-extend") ? " You can hold for longer once, with the button below." : "");
      }
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

  // Seat map as a grid: arrow keys move focus between free seats without choosing one (a
  // native radio group would choose, and send, at every press); Space or Enter chooses.
  function freeSeats(row) {
    return Array.prototype.slice.call(row.querySelectorAll(".seat input:not([disabled])"));
  }
  function centre(el) { var box = el.getBoundingClientRect(); return box.left + box.width / 2; }
  function nearest(seats, x) {
    var best = null, distance = Infinity;
    seats.forEach(function (seat) {
      var d = Math.abs(centre(seat) - x);
      if (d < distance) { best = seat; distance = d; }
    });
    return best;
  }
  document.addEventListener("keydown", function (evt) {
    var input = evt.target;
    if (!input.matches || !input.matches(".seat-map .seat input")) return;
    if (evt.key === "Enter") {  // would submit the form: choose the seat instead
      evt.preventDefault();
      if (!input.checked) {
        input.checked = true;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
      return;
    }
    if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].indexOf(evt.key) < 0) return;
    evt.preventDefault();
    var row = input.closest(".seat-row"), target = null;
    if (evt.key === "ArrowUp" || evt.key === "ArrowDown") {
      var rows = Array.prototype.slice.call(input.closest(".seat-map").querySelectorAll(".seat-row:not(.column-letters)"));
      var step = evt.key === "ArrowUp" ? -1 : 1, x = centre(input);
      for (var r = rows.indexOf(row) + step; r >= 0 && r < rows.length && !target; r += step) {
        target = nearest(freeSeats(rows[r]), x);  // rows with no free seat are passed over
      }
    } else {
      var seats = freeSeats(row), i = seats.indexOf(input);
      target = { ArrowLeft: seats[i - 1], ArrowRight: seats[i + 1], Home: seats[0], End: seats[seats.length - 1] }[evt.key];
    }
    if (target) {
      target.focus();
      target.closest(".seat").scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  });

  // After a swap, focus stays on the control the traveller used (issue 11 #2): htmx replaces
  // the element, so the same control is found again in the new content and focused.
  function focusKey(el) {
    if (!el || el === document.body || !el.getAttribute) return null;
    if (el.id) return "#" + CSS.escape(el.id);
    var name = el.getAttribute("name");
    if (!name) return null;
    var key = "[name=\"" + CSS.escape(name) + "\"]";
    return (el.type === "radio" || el.type === "checkbox") ? key + "[value=\"" + CSS.escape(el.value) + "\"]" : key;
  }
  var refocus = null;
  // Noted before the request: data-hx-disabled-elt disables the control while it is on its
  // way (the panel while it saves, a form's submit button), which already takes the focus away.
  // A control kept by the swap (the Search button above new results) gets it back itself.
  document.addEventListener("htmx:beforeRequest", function () {
    var el = document.activeElement, fallback = el && el.getAttribute && el.getAttribute("data-focus-after");
    var used = el && el !== document.body ? el : null;
    refocus = focusKey(el) || fallback || used ? { key: focusKey(el), fallback: fallback, el: used } : null;
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (!refocus || evt.detail.target === document.body) return;  // a new page: see below
    var active = document.activeElement, wanted = refocus;
    refocus = null;
    if (active && active !== document.body && document.contains(active)) return;
    var el = (wanted.el && document.contains(wanted.el) && wanted.el) || (wanted.key && document.querySelector(wanted.key))
      || (wanted.fallback && document.getElementById(wanted.fallback));
    if (el) el.focus({ preventScroll: true });
  });

  // The server says what a change did; the one permanent live region says it aloud.
  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 50);  // a fresh text is read even if the same
  }
  document.addEventListener("fly2any:announce", function (evt) {
    if (evt.detail && evt.detail.text) announce(evt.detail.text);
  });
  // While a change is saved, the price summary says it is busy.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var summary = document.getElementById("price-summary");
    if (summary && evt.detail.elt.closest && evt.detail.elt.closest("#customize-form")) summary.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function () {
    var summary = document.getElementById("price-summary");
    if (summary) summary.removeAttribute("aria-busy");
  });
  // A new page (boosted link or form): focus its error summary, or the message of what was just
  // done ("Contact details saved", "held for longer"), scrolled into view (focus reads it out),
  // since a boosted page keeps the scroll of the form sent far below; else its h1, brought into
  // view when the old scroll left it above the screen, as a full page load starts at the top.
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.target !== document.body) return;
    refocus = null;
    var message = document.querySelector("[data-error-summary]") || document.querySelector("main > .notice[role=status]");
    var target = message || document.querySelector("main h1");
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    if (message) {
      message.scrollIntoView({ block: "center" });
    } else if (target.getBoundingClientRect().top < 0) {
      target.scrollIntoView({ block: "start" });
    }
  });
})();
