// Progressive enhancement only: every page works without this file.
// htmx reads the CSRF token from the hx-headers attribute on <body>.
(function () {
  "use strict";

  // The QR code on a letter links to /vote#code=…: the fragment never reaches the server.
  // Copy it into the code field, then drop it from the address bar and history.
  function prefillCode() {
    var input = document.getElementById("code");
    var hash = window.location.hash;
    if (!input || hash.indexOf("#code=") !== 0) return;
    try {
      input.value = decodeURIComponent(hash.slice(6)).slice(0, 40);
    } catch (e) {
      return;
    }
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    input.focus();
  }

  // The ballot: a filter box and a live counter that stops at max_choices.
  function enhanceBallot() {
    var form = document.querySelector(".ballot-form");
    if (!form) return;
    var max = parseInt(form.getAttribute("data-max"), 10);
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=choice]"));
    var counter = form.querySelector(".counter");
    var filterField = document.querySelector(".filter-field");
    var filter = document.getElementById("filter");
    var noMatch = form.querySelector(".no-match");

    function update() {
      var chosen = boxes.filter(function (b) { return b.checked; }).length;
      var text = counter.getAttribute("data-template")
        .replace("{chosen}", chosen).replace("{max}", max);
      if (chosen >= max) text += " " + counter.getAttribute("data-full");
      counter.textContent = text;
      boxes.forEach(function (b) { b.disabled = !b.checked && chosen >= max; });
    }
    counter.hidden = false;
    var error = document.querySelector(".error-summary");
    boxes.forEach(function (b) {
      b.addEventListener("change", function () {
        update();
        if (error) error.hidden = true;  // the choice is being changed: the old error is stale
      });
    });
    form.addEventListener("submit", function () {
      boxes.forEach(function (b) { b.disabled = false; });
    });
    update();

    filterField.hidden = false;
    // The box is outside the ballot form, so Enter cannot submit the ballot; it is also
    // stopped here, in case a browser or a later template puts the box back in the form.
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      var shown = 0;
      form.querySelectorAll(".choice").forEach(function (item) {
        var match = !q || item.getAttribute("data-names").indexOf(q) !== -1;
        item.hidden = !match;
        if (match) shown += 1;
      });
      noMatch.hidden = shown !== 0;
    });
  }

  function enhancePrint() {
    document.querySelectorAll(".print-button").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // A table wider than its box: say so above it (the CSS shadow is easy to miss), and let
  // the keyboard scroll it (a focusable region named after the table's caption).
  function markScrollingTables() {
    var hint = document.body.getAttribute("data-scroll-hint");
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      var note = box.previousElementSibling;
      var hasNote = note && note.classList.contains("scroll-hint");
      box.classList.toggle("scrolls", scrolls);
      if (scrolls && !hasNote && hint) {
        note = document.createElement("p");
        note.className = "scroll-hint";
        note.setAttribute("aria-hidden", "true");
        note.textContent = hint;
        box.parentNode.insertBefore(note, box);
      } else if (!scrolls && hasNote) {
        note.remove();
      }
      if (scrolls) {
        var caption = box.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption ? caption.textContent.trim() + " — " : "") + hint);
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(markScrollingTables, 150);
  });
  document.addEventListener("toggle", markScrollingTables, true);  // tables inside <details>

  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail.target;
    if (target && event.detail.xhr && event.detail.xhr.responseText) {
      target.innerHTML = event.detail.xhr.responseText;
      if (window.htmx) window.htmx.process(target);  // its forms and links work like the rest
    }
  });

  // A deadline's time left (<time data-seconds-left>): the server's text is right when the
  // page is sent; from then on it counts down by the time the page has been open (a
  // difference of two readings of the device's clock: a clock set wrong still shows the
  // server's count, and unlike performance.now() it keeps running while a tablet sleeps).
  function tickCountdowns() {
    document.querySelectorAll("time[data-seconds-left]:not([data-ticking])").forEach(function (el) {
      var left = parseInt(el.getAttribute("data-seconds-left"), 10);
      if (isNaN(left)) return;
      var started = Date.now();
      el.setAttribute("data-ticking", "true");
      function show() {
        var seconds = Math.max(0, left - Math.floor((Date.now() - started) / 1000));
        var minutes = Math.floor(seconds / 60);
        var days = Math.floor(minutes / 1440), hours = Math.floor(minutes % 1440 / 60);
        var text = days
          ? el.getAttribute("data-days-format").replace("{days}", days).replace("{hours}", hours)
          : el.getAttribute("data-hours-format").replace("{hours}", hours)
            .replace("{minutes}", minutes % 60);
        if (el.textContent !== text) el.textContent = text;
        if (seconds === 0 || !document.body.contains(el)) window.clearInterval(timer);
      }
      var timer = window.setInterval(show, 1000);
      show();
    });
  }

  function init() {
    tickCountdowns();
    prefillCode();
    enhanceBallot();
    enhancePrint();
    markScrollingTables();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("htmx:afterSettle", init);

  // A boosted form swaps the page in place: nothing tells a screen reader that a new page
  // came. Move the focus to the new step's heading (an h1 with tabindex=-1), or to <main>,
  // unless it is already inside <main> (htmx keeps it on a field with the same id, e.g.
  // the code field with its error).
  document.addEventListener("htmx:afterSettle", function (event) {
    var main = document.getElementById("main");
    if (!event.detail.boosted || !main || main.contains(document.activeElement)) return;
    var heading = main.querySelector("h1[tabindex='-1'], h2[tabindex='-1']");
    (heading || main).focus();
  });
})();
