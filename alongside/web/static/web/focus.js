// Takes the reader to what a page, or an htmx swap, answers: the first error of a
// rejected form, else the message confirming a save (an element marked data-focus). Without this, focus stays on
// the page body and, on a phone, the answer is often off-screen (issue 7).
// Loaded with `defer` by web/base.html; no inline script (Content-Security-Policy).
(function () {
  "use strict";

  var CONTROL = "input:not([type=hidden]), select, textarea";

  function target(root) {
    var error = root.querySelector(".form-errors, .has-error");
    if (error) {
      // The field itself, so the reader can correct it at once; its label and
      // error are read with it (aria-describedby, aria-invalid).
      return error.classList.contains("has-error")
        ? error.querySelector(CONTROL) || error
        : error;
    }
    // A confirmation that asks for it: web/messages.html, the logged-contact line.
    return root.querySelector("[data-focus]");
  }

  function place(root) {
    var el = target(root);
    if (!el) {
      return;
    }
    if (!el.matches(CONTROL) && !el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "center" });
  }

  // Focus left nowhere in particular: the reader has not moved it yet.
  function unmoved() {
    return !document.activeElement || document.activeElement === document.body;
  }

  document.addEventListener("DOMContentLoaded", function () {
    place(document);
    // A URL with a #fragment (?open=referrals#referrals after a save) makes Chromium
    // clear focus when it scrolls to the fragment, before the first frame's
    // animation callbacks: place it again then, and once the page has loaded.
    window.requestAnimationFrame(function () {
      if (unmoved()) {
        place(document);
      }
    });
  });
  window.addEventListener("load", function () {
    if (unmoved()) {
      place(document);
    }
  });
  // htmx fires this on each element it swapped in (the form, out-of-band parts).
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target instanceof Element) {
      place(event.target);
    }
  });
})();
