/*
 * The authoring studio, progressive enhancement only: every form works without this file.
 *
 * - The display condition shows only the options of the question chosen in its select (and
 *   unticks the others, so that nothing hidden is sent).
 * - After htmx moves a question or page, focus goes back to the button that was pressed
 *   (htmx replaced it with a new one).
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function syncConditionGroups(select, clear) {
    document.querySelectorAll(".condition-group").forEach(function (group) {
      var inactive = group.dataset.conditionFor !== select.value;
      group.toggleAttribute("data-inactive", inactive);
      if (inactive && clear) {
        group.querySelectorAll("input[type=checkbox]").forEach(function (box) {
          box.checked = false;
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("id_condition-on");
    if (select) {
      select.addEventListener("change", function () { syncConditionGroups(select, true); });
      syncConditionGroups(select, false);
    }
  });

  var pressed = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    pressed = active && active.id ? active.id : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!pressed) return;
    var again = document.getElementById(pressed);
    if (again && again.disabled) {
      // Moved to the top or bottom: the other direction's button is the one still usable.
      var other = pressed.replace(/-(up|down)$/, function (m, d) { return d === "up" ? "-down" : "-up"; });
      again = document.getElementById(other);
    }
    if (again) again.focus();
    pressed = null;
  });
})();
