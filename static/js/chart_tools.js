/*
 * Medlemsröst result pages: the SVG download of each chart (Plotly's own export, of the chart
 * as drawn) and the "copy the code" button of each embed snippet. Both buttons are in the page
 * with the `hidden` attribute and shown here, so a browser without JavaScript never sees a
 * button that does nothing (it has the server-drawn PNG link and the snippet's text box).
 *
 * Load after plotly-basic.min.js and charts.js.
 */
(function () {
  "use strict";

  function chartFor(button) {
    return document.querySelector(
      'div.chart[data-figure-id="' + button.getAttribute("data-figure-id") + '"]'
    );
  }

  function download(button) {
    var div = chartFor(button);
    if (!div || !window.Plotly || !div.classList.contains("js-plotly-plot")) return;
    window.Plotly.downloadImage(div, {
      format: button.getAttribute("data-format") || "svg",
      filename: button.getAttribute("data-file-name") || "chart",
      width: Math.max(div.offsetWidth, 640),
      height: div.offsetHeight
    });
  }

  function copied(button) {
    var label = button.getAttribute("data-copied");
    if (!label) return;
    if (!button.hasAttribute("data-label")) button.setAttribute("data-label", button.textContent);
    button.textContent = label;
    window.setTimeout(function () {
      button.textContent = button.getAttribute("data-label");
    }, 2500);
  }

  function copy(button) {
    var box = document.getElementById(button.getAttribute("data-copy"));
    if (!box) return;
    box.focus();
    box.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(function () { copied(button); });
    } else if (document.execCommand && document.execCommand("copy")) {
      copied(button);
    }
  }

  function setUp() {
    var i;
    var downloads = document.querySelectorAll("button.chart-download");
    for (i = 0; i < downloads.length; i++) {
      if (window.Plotly && chartFor(downloads[i])) downloads[i].hidden = false;
      downloads[i].addEventListener("click", function (event) { download(event.currentTarget); });
    }
    var copies = document.querySelectorAll("button.copy-embed");
    for (i = 0; i < copies.length; i++) {
      copies[i].hidden = false;
      copies[i].addEventListener("click", function (event) { copy(event.currentTarget); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
