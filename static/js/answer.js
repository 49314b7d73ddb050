/*
 * Answer pages, progressive enhancement only: everything works without this file, and the
 * server checks everything again.
 *
 * - Conditional questions whose condition is an answer on the same page are hidden while the
 *   condition does not hold (without JavaScript they are shown with a hint).
 * - An exclusive option ("Vet ej") clears the other options of its question, and the others
 *   clear it.
 * - After a failed Next, focus moves to the list of answers to check.
 * - What the member types is kept in their draft a moment after each change (and when the page
 *   is hidden), so that nothing is lost when they go on from another device without pressing
 *   Next: the page's form, with its CSRF token, is posted to the page's <meta name="draft-url">
 *   (outside the form, so that the studio's preview draws the same form). Nothing
 *   is checked there; Next checks everything again.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function chosenValues(form, name) {
    var values = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      if (input.value) values.push(input.value);
    });
    return values;
  }

  function updateConditions(form) {
    // In document order, so a chain (A shows B shows C) settles in one pass.
    form.querySelectorAll("fieldset[data-condition-on]").forEach(function (fieldset) {
      var source = form.querySelector("fieldset#" + fieldset.dataset.conditionOn);
      var sourceShown = !source || !source.hasAttribute("data-condition-unmet");
      var wanted = fieldset.dataset.conditionOptions.split(" ");
      var met = sourceShown && chosenValues(form, fieldset.dataset.conditionOn).some(function (v) {
        return wanted.indexOf(v) !== -1;
      });
      fieldset.toggleAttribute("data-condition-unmet", !met);
    });
  }

  function exclusive(event) {
    var input = event.target;
    if (input.type !== "checkbox" || !input.checked) return;
    var group = input.form.querySelectorAll('input[type="checkbox"][name="' + input.name + '"]');
    group.forEach(function (other) {
      if (other === input) return;
      if (input.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive")) {
        other.checked = false;
      }
    });
  }

  var DRAFT_DELAY_MS = 2000;

  function keepDraft(form) {
    var meta = document.querySelector('meta[name="draft-url"]');
    if (!meta) return null;
    var url = meta.content;
    var timer = null;
    var sent = null;
    var submitting = false;

    function body() {
      var data = new FormData(form);
      data.delete("action");
      return data;
    }

    function fingerprint(data) {
      var parts = [];
      data.forEach(function (value, name) {
        if (name !== "csrfmiddlewaretoken") parts.push(name + "=" + value);
      });
      return parts.join("&");
    }

    function send(beacon) {
      clearTimeout(timer);
      timer = null;
      if (submitting) return;
      var data = body();
      var print = fingerprint(data);
      if (print === sent) return;
      sent = print;
      if (beacon && navigator.sendBeacon) {
        navigator.sendBeacon(url, data);
        return;
      }
      fetch(url, { method: "POST", body: data, credentials: "same-origin", keepalive: true })
        .catch(function () { sent = null; });
    }

    sent = fingerprint(body());  // what the page was drawn with is kept already
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(send, DRAFT_DELAY_MS);
    });
    form.addEventListener("submit", function () {
      // Next or Back keeps the page itself: a late save must not race it.
      submitting = true;
      clearTimeout(timer);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && timer !== null) send(true);
    });
    return send;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.answer-form");
    if (!form) return;
    form.addEventListener("change", function (event) {
      exclusive(event);
      updateConditions(form);
    });
    keepDraft(form);
    updateConditions(form);
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
  });
})();
