// Keyboard help for coding open answers: with focus inside an answer, the digit keys 1–9
// press that answer's code buttons (which work as plain forms without this script).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (target && (target.tagName === "INPUT" && target.type !== "checkbox" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) return;
    var digit = parseInt(event.key, 10);
    if (!(digit >= 1 && digit <= 9)) return;
    var answer = target && target.closest ? target.closest(".coded-answer") : null;
    if (!answer) return;
    var buttons = answer.querySelectorAll(".coded-answer__codes button");
    if (buttons[digit - 1]) {
      event.preventDefault();
      var id = answer.id;
      buttons[digit - 1].click();
      // htmx replaces the answer: keep the focus on it for the next key.
      document.body.addEventListener("htmx:afterSwap", function refocus() {
        document.body.removeEventListener("htmx:afterSwap", refocus);
        var fresh = document.getElementById(id);
        var pick = fresh && fresh.querySelector("input[type=checkbox]");
        if (pick) pick.focus();
      });
    }
  });
})();
