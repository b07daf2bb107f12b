// Tablet scorecard (SPEC 5.5). The page is a plain form that works without this file.
// Each change is queued in localStorage (surviving a reload) as a whole-form snapshot with
// this device's id and the next sequence number, then sent in order; the server ignores a
// (device, seq) it already applied, so a retry is harmless. No service worker, no
// Background Sync (iPadOS Safari has neither reliably).
(function () {
  "use strict";
  var form = document.querySelector("form.scorecard[data-save-url]");
  if (!form || form.getAttribute("data-locked") === "true") return;
  var url = form.getAttribute("data-save-url");
  var queueKey = "awards.queue." + url;
  var status = document.getElementById("save-status");
  var conflictBox = document.getElementById("sync-conflict");
  var sending = false, timer = null, signedOut = false;
  var amending = form.getAttribute("data-status") === "submitted";

  function msg(name, n) { return (form.getAttribute("data-msg-" + name) || "").replace("{n}", n); }
  function read(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function deviceId() {
    var id = localStorage.getItem("awards.device");
    if (!id) {
      var bytes = new Uint8Array(8);
      window.crypto.getRandomValues(bytes);
      id = "tab-" + Array.prototype.map.call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2); }).join("");
      localStorage.setItem("awards.device", id);
    }
    return id;
  }
  function nextSeq() {
    var seq = (parseInt(localStorage.getItem("awards.seq"), 10) || 0) + 1;
    localStorage.setItem("awards.seq", String(seq));
    return seq;
  }
  function queue() { return read(queueKey, []); }
  function keep(items) { localStorage.setItem(queueKey, JSON.stringify(items)); }
  function version() { return parseInt(form.elements.version.value, 10) || 0; }

  function show(state) {
    var n = queue().length;
    var text = state === "saving" ? msg("saving")
      : state === "signed-out" ? msg(n === 1 ? "signed-out-one" : "signed-out", n)
      : n === 0 ? msg("saved") : n === 1 ? msg("offline-one") : msg("offline", n);
    status.textContent = text;
    status.className = "save-status " + (n && state !== "saving" ? "offline" : n ? "" : "saved");
    if (state === "signed-out") {
      var link = document.createElement("a");
      link.href = form.getAttribute("data-signin-url");
      link.textContent = " \u2192";
      status.appendChild(link);
    }
  }

  function fields() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !/^(score|comment)-/.test(el.name)) return;
      if (el.type === "radio") { if (el.checked) out[el.name] = el.value; else if (!(el.name in out)) out[el.name] = ""; }
      else out[el.name] = el.value;
    });
    return out;
  }

  function enqueue(action, reason) {
    var items = queue();
    items.push({ fields: fields(), version: version(), device: deviceId(), seq: nextSeq(),
                 action: action, reason: reason || "" });
    keep(items);
    flush();
  }

  function flush() {
    if (sending || signedOut) return;
    var items = queue();
    if (!items.length) { show("saved"); return; }
    sending = true;
    show("saving");
    var item = items[0], body = new URLSearchParams(item.fields);
    ["version", "device", "seq", "action", "reason"].forEach(function (k) { body.set(k, item[k]); });
    body.set("csrf_token", form.elements.csrf_token.value);
    fetch(url, { method: "POST", body: body, credentials: "same-origin",
                 headers: { "Accept": "application/json" } })
      .then(function (res) {
        var json = (res.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (res.status === 401 || (res.redirected && !json)) throw { signedOut: true };
        if (!json) throw { retry: true };
        return res.json().then(function (data) { return { code: res.status, data: data }; });
      })
      .then(function (r) {
        sending = false;
        if (r.code === 400) return recheck();
        if (r.code === 200) { done(r.data.state); if (item.action !== "save") { location.reload(); return; } flush(); }
        else if (r.code === 409 && r.data.error === "scorecard.stale") conflict(r.data.state);
        else if (r.code === 409 || r.code === 422) { drop(); alertBox(r.data.message); flush(); }
        else { show("offline"); later(); }
      })
      .catch(function (e) {
        sending = false;
        if (e && e.signedOut) { signedOut = true; show("signed-out"); return; }
        show("offline");
        later();
      });
  }
  // A 400 is a stale CSRF token: either the sign-in expired (the page now redirects to
  // the sign-in page) or the session changed; then take the fresh token and retry later.
  function recheck() {
    return fetch(url, { credentials: "same-origin" }).then(function (res) {
      if (res.redirected && res.url.indexOf("/signin") >= 0) throw { signedOut: true };
      return res.text().then(function (html) {
        var m = html.match(/name="csrf_token" value="([^"]+)"/);
        if (m) form.elements.csrf_token.value = m[1];
        throw { retry: true };
      });
    });
  }
  function drop() { var items = queue(); items.shift(); keep(items); }
  function done(state) {
    drop();
    if (state && state.version > version()) form.elements.version.value = state.version;
  }
  function later() { clearTimeout(timer); timer = setTimeout(flush, 5000); }
  function alertBox(text) {
    var box = document.querySelector(".error-summary") || document.createElement("div");
    box.className = "error-summary";
    box.setAttribute("role", "alert");
    box.textContent = text;
    if (!box.parentNode) status.parentNode.insertBefore(box, status);
  }

  function conflict(state) {
    var mine = queue()[0].fields, a = [], b = [];
    Object.keys(state.scores).forEach(function (code) {
      var m = mine["score-" + code] || "\u2014", t = state.scores[code];
      a.push(m); b.push(t === null ? "\u2014" : t);
    });
    conflictBox.querySelector(".conflict-text").textContent =
      msg("conflict").replace("{mine}", a.join(", ")).replace("{theirs}", b.join(", "));
    conflictBox.hidden = false;
    conflictBox.setAttribute("data-version", state.version);
    show("offline");
  }
  conflictBox.addEventListener("click", function (e) {
    var choice = e.target.getAttribute("data-resolve");
    if (!choice) return;
    conflictBox.hidden = true;
    if (choice === "theirs") { keep([]); location.reload(); return; }
    var v = parseInt(conflictBox.getAttribute("data-version"), 10);
    keep(queue().map(function (item) { item.version = v; return item; }));
    form.elements.version.value = v;
    flush();
  });

  function updateTotal() {
    var total = 0, missing = [];
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.criterion"), function (fs) {
      var code = fs.getAttribute("data-criterion"), value = fields()["score-" + code];
      if (value === "" || value === undefined) missing.push(fs.getAttribute("data-name"));
      else total += parseFloat(fs.getAttribute("data-weight")) * value / parseFloat(fs.getAttribute("data-max"));
    });
    document.getElementById("total-y").textContent = missing.length ? "\u2014" : (100 * total).toFixed(1);
    document.getElementById("missing-list").textContent = missing.length
      ? msg("missing").replace("{names}", missing.join(", ")) : msg("complete");
  }

  var typing = null;
  form.addEventListener("change", function (e) {
    if (!/^(score|comment)-/.test(e.target.name || "")) return;
    updateTotal();
    clearTimeout(typing);
    if (amending) { status.textContent = msg("amend"); return; }
    enqueue("save");
  });
  form.addEventListener("input", function (e) {
    if (amending || e.target.tagName !== "TEXTAREA" || !/^comment-/.test(e.target.name)) return;
    clearTimeout(typing);
    typing = setTimeout(function () { enqueue("save"); }, 1500);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var button = e.submitter || form.querySelector("button[name=action]");
    var action = button ? button.value : "save";
    var reason = form.elements.reason ? form.elements.reason.value : "";
    enqueue(action, action === "amend" ? reason : "");
  });
  Array.prototype.forEach.call(form.querySelectorAll(".stepper"), function (box) {
    var input = box.querySelector("input");
    Array.prototype.forEach.call(box.querySelectorAll("button.step"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var max = parseInt(input.max, 10), value = parseInt(input.value, 10);
        value = isNaN(value) ? 0 : value + parseInt(button.getAttribute("data-step"), 10);
        input.value = Math.max(0, Math.min(max, value));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  });

  // Unsent changes from before a reload are shown again, over the server's older values.
  function restore() {
    var items = queue();
    if (!items.length) return;
    var last = items[items.length - 1].fields;
    Object.keys(last).forEach(function (name) {
      var el = form.elements[name];
      if (!el) return;
      if (el instanceof RadioNodeList && last[name] === "") {
        Array.prototype.forEach.call(el, function (r) { r.checked = false; });
      } else el.value = last[name];
    });
  }

  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) flush(); });
  setInterval(flush, 15000);
  restore();
  updateTotal();
  flush();
})();
