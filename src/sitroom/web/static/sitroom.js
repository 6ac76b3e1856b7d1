// sitroom pages: CSRF header on htmx writes, live status, delivery receipts, and a full refresh
// of every live panel after a reconnect, so nothing missed while offline stays missing.
(function () {
  "use strict";
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrf();
    if (token) { event.detail.headers["X-CSRF-Token"] = token; }
  });
  function setStatus(state) {
    document.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.setAttribute("data-state", state);
      el.textContent = el.getAttribute("data-label-" + state) || state;
    });
  }
  function refreshAll() {
    if (!window.htmx) { return; }
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      window.htmx.trigger(el, "refresh");
    });
  }
  var opened = false;
  document.addEventListener("htmx:sseOpen", function () {
    setStatus("live");
    if (opened) { refreshAll(); }  // a reconnect: fetch what was missed
    opened = true;
  });
  document.addEventListener("htmx:sseError", function () { setStatus("reconnecting"); });
  var receipted = {};
  document.addEventListener("htmx:sseMessage", function (event) {
    var detail = event.detail || {};
    if (detail.type !== "inject-released" && detail.type !== "inject-corrected") { return; }
    var root = document.querySelector("[data-run]");
    if (!root || root.getAttribute("data-receipts") !== "on") { return; }
    try {
      var data = JSON.parse(detail.data);
      var number = data.data && data.data.number;
      if (!number || receipted[detail.lastEventId || number]) { return; }
      receipted[detail.lastEventId || number] = true;
      fetch("/api/runs/" + encodeURIComponent(root.getAttribute("data-run")) + "/injects/" +
            encodeURIComponent(number) + "/receipt", {
        method: "POST", credentials: "same-origin",
        headers: {"X-CSRF-Token": csrf(), "Idempotency-Key": "receipt-" + number + "-" + root.getAttribute("data-principal")}
      });
    } catch (e) { /* a malformed frame is ignored; the panels still refresh */ }
  });
})();
