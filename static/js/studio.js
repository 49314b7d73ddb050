/*
 * The authoring studio, progressive enhancement only: every form works without this file.
 *
 * - The display condition shows only the options of the question chosen in its select (and
 *   unticks the others, so that nothing hidden is sent).
 * - "Add an option" / "Add a statement" adds one empty row to the list (the page has one; without
 *   this file, saving gives the next).
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

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".add-item");
    if (!button) return;
    var prefix = button.dataset.formset;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var list = document.getElementById(prefix + "-list");
    if (!total || !template || !list) return;
    var index = String(parseInt(total.value, 10));
    var html = template.innerHTML.replace(/__prefix__/g, index);
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    var none = list.querySelector(":scope > p.muted");
    if (none) none.remove();
    list.appendChild(row);
    total.value = String(parseInt(index, 10) + 1);
    var first = row.querySelector("input:not([type=hidden]), textarea");
    if (first) first.focus();
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
