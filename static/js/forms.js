// Accessible forms (BEY-5, issue 14), with the GOV.UK Design System's habits:
// - a form that failed opens with an error summary ([data-error-summary]); it gets the focus when the page loads,
//   and its links move the focus to the field (its label or legend scrolled into view);
// - after an HTMX swap the focus is kept: on the element that had it (found again by id), else on the swapped
//   region's error summary, heading or first field; what a swap brings is announced in a polite status region.
(function () {
  "use strict";
  var status = null;

  function focusable(element) {
    return element.matches("a[href], button, input, select, textarea, summary, [tabindex]") && !element.disabled;
  }

  function focusRegion(element) {
    if (!focusable(element)) element.setAttribute("tabindex", "-1");
    element.focus();
  }

  function focusSummary(root) {
    var summary = root.querySelector ? root.querySelector("[data-error-summary]") : null;
    if (summary) summary.focus();
    return Boolean(summary);
  }

  function fieldCaption(control) {
    var fieldset = control.closest("fieldset");
    if (fieldset && fieldset.querySelector("legend")) return fieldset.querySelector("legend");
    return (control.id && document.querySelector('label[for="' + CSS.escape(control.id) + '"]')) || control;
  }

  function announce(text) {
    if (!status || !text) return;
    status.textContent = "";
    // A new text node a moment later, so that the same words said twice are announced twice.
    window.setTimeout(function () { status.textContent = text.replace(/\s+/g, " ").trim(); }, 50);
  }

  document.addEventListener("DOMContentLoaded", function () {
    status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    status.id = "swap-status";
    document.body.appendChild(status);
    focusSummary(document);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-error-summary] a[href^='#']") : null;
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    event.preventDefault();
    if (!focusable(target)) {
      var inner = target.querySelector("input, select, textarea, button");
      target = inner || target;
    }
    fieldCaption(target).scrollIntoView({ block: "center" });
    if (focusable(target)) target.focus({ preventScroll: true });
    else focusRegion(target);
  });

  // HTMX: remember what had the focus before a swap, then put the focus back where it belongs. htmx fires
  // htmx:afterSettle on each element it put in the page (the new element of an outerHTML swap).
  var before = { focusId: "", hadFocus: false, announced: false };
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    before.focusId = active && active.id ? active.id : "";
    before.hadFocus = Boolean(active && active !== document.body && target && target.contains(active));
    before.announced = false;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var region = event.target;
    if (!region || !region.isConnected || !region.querySelector || region === document.body) return;
    var config = event.detail && event.detail.requestConfig;
    var trigger = config && config.elt && config.elt.getAttribute ? config.elt.getAttribute("hx-trigger") || "" : "";
    var polling = /(^|,)\s*every /.test(trigger);
    if (!polling && focusSummary(region)) return;
    var active = document.activeElement;
    var lost = !active || active === document.body || !active.isConnected;
    if (before.hadFocus && lost) {
      var again = before.focusId ? document.getElementById(before.focusId) : null;
      var heading = region.querySelector("h1, h2, h3, caption");
      var field = region.querySelector("input:not([type=hidden]), select, textarea, button");
      if (again) again.focus();
      else if (heading) focusRegion(heading);
      else if (field) field.focus();
      else focusRegion(region);
    }
    if (!polling && !before.announced) {
      var live = region.matches("[aria-live]") ? region.querySelector("h2, h3, p, caption") : null;
      var said = region.querySelector("[data-announce]") || live;
      if (said) {
        announce(said.textContent);
        before.announced = true;
      }
    }
  });
})();
