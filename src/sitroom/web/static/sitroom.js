// sitroom pages: CSRF header on htmx writes, live status, delivery receipts, HTML pushed in the
// event stream, and a full refresh of every live panel after a reconnect, so nothing missed
// while offline stays missing.
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
  // HTML pushed in the event stream (the player page) goes where each part says. An item the
  // page already holds (sent again after a reconnect, or fetched meanwhile) is left as it is.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var items = event.detail && event.detail.fragment;
    if (!items || items.nodeType !== 1 || !items.hasAttribute("data-new-items")) { return; }
    Array.prototype.slice.call(items.children).forEach(function (item) {
      if (item.id && document.getElementById(item.id)) { item.remove(); }
    });
  });
  // A form pushed to a whole team comes without an idempotency key (one key shared by many
  // people would make their posts one): the page makes its own, kept in the form, so sending
  // it again after a lost reply is a retry and not a second post.
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function fillKeys(root) {
    var page = document.querySelector(".play[data-run]");  // the player page's forms only
    if (!page || !root || !root.querySelectorAll) { return; }
    root.querySelectorAll('input[name="key"]').forEach(function (input) {
      if (!input.value && page.contains(input)) { input.value = newKey(); }
    });
  }
  document.addEventListener("htmx:load", function (event) { fillKeys(event.detail && event.detail.elt); });
  // Delivery receipts: an inject that reaches a player's screen while the page is open (the
  // page itself recorded those it was rendered with).
  var receipted = {};
  function injectsShown() {
    return document.querySelectorAll("[data-receipts] article.inject[data-number]");
  }
  injectsShown().forEach(function (el) { receipted[el.getAttribute("data-number")] = true; });
  // The injects that arrived since the last receipts were sent, and the timer that sends them.
  var pending = [];
  var flushing = null;
  function postReceipts(root, numbers, attempt) {
    var url = "/api/runs/" + encodeURIComponent(root.getAttribute("data-run")) + "/receipts";
    // A request the server was too busy for (503, 429) or that the network lost is sent again
    // with a backoff; the server records each receipt once, so a repeat is harmless.
    var again = function () {
      if (attempt < 6) {
        window.setTimeout(function () { postReceipts(root, numbers, attempt + 1); }, 1000 * Math.pow(2, attempt));
      }
    };
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": csrf(), "Content-Type": "application/json"},
      body: JSON.stringify({numbers: numbers})
    }).then(function (reply) {
      if (reply.status >= 500 || reply.status === 429) { again(); }
    }, again);
  }
  function sendReceipts() {
    var root = document.querySelector("[data-run]");
    // Control previewing a team's page (data-preview) is not the team: no receipts.
    if (!root || root.getAttribute("data-receipts") !== "on" || root.hasAttribute("data-preview")) { return; }
    injectsShown().forEach(function (el) {
      var number = el.getAttribute("data-number");
      if (receipted[number]) { return; }
      receipted[number] = true;
      pending.push(number);
    });
    if (!pending.length || flushing !== null) { return; }
    // Every screen of the room receives a release at the same instant: the receipts wait until
    // the release has reached them all (data-receipt-delay), then come back spread over a moment
    // (data-receipt-spread), all of this page's in one request.
    var delay = parseInt(root.getAttribute("data-receipt-delay") || "0", 10) || 0;
    var spread = parseInt(root.getAttribute("data-receipt-spread") || "0", 10) || 0;
    flushing = window.setTimeout(function () {
      var numbers = pending;
      pending = [];
      flushing = null;
      postReceipts(root, numbers, 0);
    }, delay + Math.random() * spread);
  }
  document.addEventListener("htmx:oobAfterSwap", sendReceipts);
  document.addEventListener("htmx:afterSwap", sendReceipts);
})();
