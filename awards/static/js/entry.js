// The entry page: text that an autosave could not send (no connection) is kept on this
// device, in localStorage under the form's data-draft-key, and sent again when the
// connection returns (the "online" event, and a timer). After a reload the kept text is put
// back into the form, marked as restored, and saved with the version it was written on: if
// someone else saved meanwhile, the server answers 409 and the page shows both texts, as for
// any stale save. Progressive enhancement only: without this file the page still saves.
(function () {
  "use strict";

  var form = document.getElementById("entry-form");
  if (!form || !form.hasAttribute("data-draft-key")) return;
  var key = form.getAttribute("data-draft-key");
  var retryMs = (parseInt(form.getAttribute("data-retry-seconds"), 10) || 10) * 1000;
  var NOT_KEPT = { csrf_token: 1, version: 1, blank: 1, action: 1, overwrite_version: 1 };
  var sending = false;
  var blocked = false;  // a 409 answered the kept text: the person chooses, no more retries

  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  function read() {
    var s = store();
    if (!s) return null;
    try { return JSON.parse(s.getItem(key) || "null"); } catch (e) { return null; }
  }
  function write(data) {
    var s = store();
    if (!s) return;
    try { s.setItem(key, JSON.stringify(data)); } catch (e) { /* full: nothing more to do */ }
  }
  function forget() {
    var s = store();
    if (s) s.removeItem(key);
  }

  function currentVersion() {
    var input = document.getElementById("version");
    return input ? input.value : "0";
  }
  function setVersion(value) {
    var input = document.getElementById("version");
    if (input && value !== undefined && value !== null) input.value = String(value);
  }

  function fieldValues() {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || NOT_KEPT[el.name] || el.disabled) return;
      if (el.type === "submit" || el.type === "button" || el.type === "file") return;
      values[el.name] = el.value;
    });
    return values;
  }

  function say(attribute) {
    var status = document.getElementById("save-status");
    var text = form.getAttribute(attribute);
    if (!status || !text) return;
    status.textContent = "";
    var strong = document.createElement("strong");
    strong.className = "not-saved";
    strong.textContent = text;
    status.appendChild(strong);
  }

  function keep() {
    write({ version: currentVersion(), fields: fieldValues(), at: Date.now() });
    say("data-kept-text");
  }

  function unmark() {
    form.querySelectorAll(".restored").forEach(function (el) {
      el.classList.remove("restored");
      el.removeAttribute("data-restored");
    });
  }

  function send() {
    if (sending || blocked || !read() || !window.htmx) return;
    sending = true;
    window.htmx.ajax("POST", form.getAttribute("hx-post"), { source: form, swap: "none" });
  }

  // Autosave outcomes (htmx's own saves and the ones sent from here).
  form.addEventListener("htmx:sendError", keep);
  form.addEventListener("htmx:timeout", keep);
  form.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt !== form) return;
    sending = false;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 200 && status < 300) {
      blocked = false;
      forget();
      unmark();
    } else if (status === 409) {
      blocked = true;  // both texts are on the page; the kept copy stays until one is chosen
    }
  });
  // A plain submit (Save, Submit, a pledge-table button, "Keep my text") sends every field;
  // "Take the saved text" drops the kept copy on purpose.
  form.addEventListener("submit", forget);
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#conflict-box a[href]");
    if (link) forget();
  });

  window.addEventListener("online", function () { blocked = false; send(); });
  window.setInterval(function () {
    if (navigator.onLine !== false) send();
  }, retryMs);

  // After a reload: put the kept text back and send it.
  function restore() {
    var kept = read();
    if (!kept || !kept.fields) return;
    var differs = false;
    Object.keys(kept.fields).forEach(function (name) {
      var value = kept.fields[name];
      var el = form.elements.namedItem(name);
      if (!el) {  // a field the page no longer renders: still sent, never dropped
        el = document.createElement("input");
        el.type = "hidden";
        el.name = name;
        form.appendChild(el);
      }
      if (el.value !== value) {
        el.value = value;
        el.classList.add("restored");
        el.setAttribute("data-restored", "true");
        differs = true;
      }
    });
    if (!differs) {  // the server already has this text
      forget();
      return;
    }
    setVersion(kept.version);
    say("data-restored-text");
    send();
  }
  if (document.readyState === "complete") {
    restore();
  } else {
    document.addEventListener("DOMContentLoaded", restore);  // after htmx has started
  }
})();
