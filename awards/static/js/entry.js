// The entry page: text that an autosave could not send (no connection) is kept on this
// device, in localStorage under the form's data-draft-key, and sent again when the
// connection returns (the "online" event, and a timer). After a reload the kept text is put
// back into the form, marked as restored, and saved with the version it was written on: if
// someone else saved meanwhile, the server answers 409 and the page shows both texts, as for
// any stale save. Only an answer that carries X-Entry-Saved is a save: anything else (a
// 401 from an expired sign-in, a 400/413/500, a 200 that is not the save's answer) keeps
// the text on this device; the fields are never replaced by an error. After a 401 the
// page says so with a link to sign in again, which comes back here and sends the text.
// Progressive enhancement only: without this file the page still saves.
(function () {
  "use strict";

  var form = document.getElementById("entry-form");
  if (!form || !form.hasAttribute("data-draft-key")) return;
  var key = form.getAttribute("data-draft-key");
  var retryMs = (parseInt(form.getAttribute("data-retry-seconds"), 10) || 10) * 1000;
  var NOT_KEPT = { csrf_token: 1, version: 1, blank: 1, action: 1, overwrite_version: 1 };
  var sending = false;
  var blocked = false;  // a 4xx answered the kept text: the person acts, no more retries
  var signedOut = false;  // a 401: nothing is sent until the page is loaded again

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

  function keepQuietly() {
    write({ version: currentVersion(), fields: fieldValues(), at: Date.now() });
  }
  function keep() {
    keepQuietly();
    say("data-kept-text");
  }
  function saySignedOut() {
    say("data-signed-out-text");
    var status = document.getElementById("save-status");
    var link = document.createElement("a");
    link.href = form.getAttribute("data-signin-url");
    link.textContent = form.getAttribute("data-signin-text");
    status.appendChild(document.createTextNode(" "));
    status.appendChild(link);
  }
  // An error answer's title and detail (errors/_error.html) as one line in #save-problem.
  function showProblem(xhr) {
    var box = document.getElementById("save-problem");
    if (!box) return;
    var text = "";
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      text = Array.prototype.map.call(doc.querySelectorAll("h1, h2, p"), function (el) {
        return el.textContent.trim();
      }).filter(Boolean).slice(0, 2).join(" ");
    } catch (e) { /* an unreadable answer: the status code says enough */ }
    var prefix = form.getAttribute("data-problem-text") || "";
    // The entry's own refusals (_entry_saved.html) already start with it: say it once.
    if (prefix && text.indexOf(prefix) === 0) text = text.slice(prefix.length).trim();
    var p = document.createElement("p");
    p.setAttribute("role", "alert");
    var strong = document.createElement("strong");
    strong.className = "not-saved";
    strong.textContent = prefix + " ";
    p.appendChild(strong);
    p.appendChild(document.createTextNode(text || ("HTTP " + xhr.status)));
    box.textContent = "";
    box.appendChild(p);
  }
  function isSave(xhr) {
    return !!xhr && xhr.status >= 200 && xhr.status < 300 &&
      xhr.getResponseHeader("X-Entry-Saved") !== null;
  }
  function isSignInPage(xhr) {
    return xhr.status === 401 || /\/signin(\?|$)/.test(xhr.responseURL || "");
  }

  function unmark() {
    form.querySelectorAll(".restored").forEach(function (el) {
      el.classList.remove("restored");
      el.removeAttribute("data-restored");
    });
  }

  function send() {
    if (sending || blocked || signedOut || !read() || !window.htmx) return;
    sending = true;
    window.htmx.ajax("POST", form.getAttribute("hx-post"),
                     { source: form, target: "#save-problem", swap: "none" });
  }

  // Autosave outcomes (htmx's own saves and the ones sent from here).
  form.addEventListener("htmx:sendError", keep);
  form.addEventListener("htmx:timeout", keep);
  // The answer to a failed save is shown here, in #save-problem, as one line, not by the
  // page-wide handler in app.js (which puts the whole error panel into the target).
  form.addEventListener("htmx:responseError", function (event) {
    if (event.detail.elt !== form) return;
    event.stopPropagation();
    if (!isSignInPage(event.detail.xhr)) showProblem(event.detail.xhr);
  });
  form.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt !== form) return;
    sending = false;
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    if (status === 0) return;  // no answer: sendError or timeout kept the text
    if (isSave(xhr)) {
      blocked = false;
      forget();
      unmark();
      return;
    }
    if (isSignInPage(xhr)) {
      signedOut = true;
      keepQuietly();
      saySignedOut();
    } else if (status === 409 || status === 422) {
      // Both texts, or the reason, are on the page (out of band); the text stays kept
      // until the person acts, with no retries meanwhile.
      blocked = true;
      keepQuietly();
    } else if (status >= 400 && status < 500) {
      blocked = true;  // sending the same text again would be refused again
      keep();
    } else {
      keep();  // a server error or an unexpected answer: tried again by the timer
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
