/*
 * Answer pages, progressive enhancement only: everything works without this file, and the
 * server checks everything again.
 *
 * - Conditional questions whose condition is an answer on the same page are hidden while the
 *   condition does not hold (without JavaScript they are shown with a hint).
 * - An exclusive option ("Vet ej") clears the other options of its question, and the others
 *   clear it.
 * - After a failed Next, focus moves to the list of answers to check.
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

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.answer-form");
    if (!form) return;
    form.addEventListener("change", function (event) {
      exclusive(event);
      updateConditions(form);
    });
    updateConditions(form);
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
  });
})();
