// Progressive enhancement only: every page works without this file.
// htmx reads the CSRF token from the hx-headers attribute on <body>.
document.addEventListener("htmx:responseError", function (event) {
  // Show server error fragments instead of silently ignoring them.
  var target = event.detail.target;
  if (target && event.detail.xhr && event.detail.xhr.responseText) {
    target.innerHTML = event.detail.xhr.responseText;
  }
});
