// orderhub dashboard: live updates over server-sent events, plus small
// conveniences. Pages work without it.
(function () {
  "use strict";

  // Confirm destructive buttons.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-confirm]");
    if (b && !window.confirm(b.getAttribute("data-confirm"))) {
      ev.preventDefault();
    }
  });

  // Inventory: "Adjust" fills the adjustment form.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-fill-sku]");
    if (!b) { return; }
    var f = document.getElementById("adjust");
    if (!f) { return; }
    f.elements.location.value = b.getAttribute("data-fill-location");
    f.elements.sku.value = b.getAttribute("data-fill-sku");
    f.elements.quantity.focus();
    f.scrollIntoView({ behavior: "smooth", block: "center" });
  });

  // Routing: rule chips append to the rule list.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest(".add-rule");
    if (!b) { return; }
    var input = document.getElementById("rules");
    var rules = input.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
    var r = b.getAttribute("data-rule");
    if (rules.indexOf(r) < 0) { rules.push(r); }
    input.value = rules.join(", ");
  });

  var live = document.body.getAttribute("data-live");
  if (!live || !window.EventSource) { return; }
  var banner = document.getElementById("live-banner");
  var pending = null;

  function say(text) {
    banner.textContent = text;
    banner.hidden = false;
    setTimeout(function () { banner.hidden = true; }, 2500);
  }

  function busy() {
    var a = document.activeElement;
    return a && (a.tagName === "TEXTAREA" || (a.tagName === "INPUT" && a.type !== "submit") || a.tagName === "SELECT");
  }

  // Reload the live region of a list page in place.
  function refreshList() {
    if (busy()) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live");
        var cur = document.getElementById("live");
        if (fresh && cur) {
          cur.replaceWith(fresh);
          say("Updated just now");
        }
      })
      .catch(function () {});
  }

  var es = new EventSource("/ui/events");
  es.addEventListener("change", function (msg) {
    var e;
    try { e = JSON.parse(msg.data); } catch (err) { return; }
    if (live.indexOf("order:") === 0) {
      if (e.order_id === live.slice(6) && !busy()) {
        say("This order changed — reloading");
        setTimeout(function () { window.location.reload(); }, 700);
      }
      return;
    }
    clearTimeout(pending);
    pending = setTimeout(refreshList, 400);
  });
})();
