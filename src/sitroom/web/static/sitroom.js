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
  // A live panel whose refresh failed (network gone, server busy) tries again with a backoff:
  // the event stream may outlive a short outage without reopening, so no refresh would follow.
  function retryLater(event) {
    var el = event.detail && event.detail.elt;
    if (!el || !el.hasAttribute || !el.hasAttribute("data-refresh") || el.sitroomRetry) { return; }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status && status < 500 && status !== 429) { return; }  // refused, not failed: no retry
    var delay = Math.min((el.sitroomDelay || 1000) * 2, 30000);
    el.sitroomDelay = delay;
    el.sitroomRetry = window.setTimeout(function () {
      el.sitroomRetry = null;
      if (document.body.contains(el)) { window.htmx.trigger(el, "refresh"); }
    }, delay);
  }
  document.addEventListener("htmx:sendError", retryLater);
  document.addEventListener("htmx:responseError", retryLater);
  document.addEventListener("htmx:afterRequest", function (event) {
    var el = event.detail && event.detail.elt;
    if (el && event.detail.successful) { el.sitroomDelay = 0; }
  });
  window.addEventListener("offline", function () { setStatus("reconnecting"); });
  window.addEventListener("online", function () { setStatus("live"); refreshAll(); });
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
      var url = "/api/runs/" + encodeURIComponent(root.getAttribute("data-run")) + "/injects/" +
                encodeURIComponent(number) + "/receipt";
      var key = "receipt-" + number + "-" + root.getAttribute("data-principal");
      // A receipt the server was too busy for (503, 429) or that the network lost is sent again
      // with a backoff; the key makes a repeat harmless.
      var send = function (attempt) {
        fetch(url, {
          method: "POST", credentials: "same-origin",
          headers: {"X-CSRF-Token": csrf(), "Idempotency-Key": key}
        }).then(function (reply) {
          if ((reply.status >= 500 || reply.status === 429) && attempt < 6) {
            window.setTimeout(function () { send(attempt + 1); }, 1000 * Math.pow(2, attempt));
          }
        }, function () {
          if (attempt < 6) { window.setTimeout(function () { send(attempt + 1); }, 1000 * Math.pow(2, attempt)); }
        });
      };
      send(0);
    } catch (e) { /* a malformed frame is ignored; the panels still refresh */ }
  });
})();
