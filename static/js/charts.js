/*
 * Medlemsröst charts: renders every <div class="chart" data-figure-id="ID"> with Plotly,
 * from the figure JSON in <script type="application/json" id="ID"> (Django's json_script).
 *
 * Load after the vendored Plotly bundle, e.g.
 *   <script src="{% static 'vendor/plotly-basic.min.js' %}" defer></script>
 *   <script src="{% static 'js/charts.js' %}" defer></script>
 *
 * The figure JSON is {"data": [...], "layout": {...}} (what plotly's fig.to_plotly_json()
 * gives); an optional "config" object is merged over the defaults below. Anything inside the
 * chart div (a no-JavaScript fallback text) is replaced by the chart.
 *
 * window.medlemsrostRenderCharts(root) renders the charts under root (default: document) that
 * are not rendered yet; pass true as the second argument to redraw rendered ones as well.
 * It runs on page load and after every htmx swap.
 */
(function () {
  "use strict";

  var MODEBAR_REMOVE = [
    "sendChartToCloud", "downloadJson", "toggleHover", "resetViews",
    "zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d",
    "autoScale2d", "resetScale2d", "hoverClosestCartesian", "hoverCompareCartesian",
    "toggleSpikelines", "hoverClosestPie"
  ];
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

  function isSwedish() {
    var lang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
    return lang === "sv" || lang.indexOf("sv-") === 0;
  }

  function chartsUnder(root) {
    var found = [];
    if (root.nodeType === 1 && root.matches("div.chart[data-figure-id]")) {
      found.push(root);
    }
    if (root.querySelectorAll) {
      var inner = root.querySelectorAll("div.chart[data-figure-id]");
      for (var i = 0; i < inner.length; i++) found.push(inner[i]);
    }
    return found;
  }

  function readFigure(id) {
    var script = document.getElementById(id);
    if (!script) throw new Error("no figure JSON with id " + id);
    var fig = JSON.parse(script.textContent);
    // json_script of a string holding JSON (double encoded) also works.
    if (typeof fig === "string") fig = JSON.parse(fig);
    return fig;
  }

  function renderOne(div) {
    var fig = readFigure(div.getAttribute("data-figure-id"));
    var layout = fig.layout || {};
    layout.autosize = true;
    delete layout.width; // the div decides the width; responsive: true follows it
    if (!layout.font) layout.font = {};
    if (!layout.font.family) layout.font.family = FONT;
    // Swedish numbers: decimal comma and a space between thousands ("1 234,5").
    if (layout.separators === undefined && isSwedish()) layout.separators = ", ";

    var config = {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: MODEBAR_REMOVE
    };
    var extra = fig.config || {};
    for (var key in extra) {
      if (Object.prototype.hasOwnProperty.call(extra, key)) config[key] = extra[key];
    }
    // Never offer to upload poll results to Plotly's cloud, whatever the figure says.
    config.showSendToCloud = false;
    config.showEditInChartStudio = false;
    config.plotlyServerURL = "";

    if (!div.classList.contains("js-plotly-plot")) {
      div.textContent = ""; // drop the no-JS fallback
    }
    div.setAttribute("data-chart-rendered", "1");
    return window.Plotly.newPlot(div, fig.data || [], layout, config);
  }

  function renderCharts(root, redraw) {
    root = root || document;
    if (!window.Plotly) {
      if (window.console) console.warn("medlemsrost charts: Plotly is not loaded");
      return 0;
    }
    var divs = chartsUnder(root);
    var count = 0;
    for (var i = 0; i < divs.length; i++) {
      var div = divs[i];
      if (!redraw && div.getAttribute("data-chart-rendered") === "1") continue;
      try {
        renderOne(div);
        count++;
      } catch (err) {
        div.setAttribute("data-chart-error", String(err && err.message || err));
        if (window.console) console.error("medlemsrost charts:", err);
      }
    }
    return count;
  }

  window.medlemsrostRenderCharts = renderCharts;

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  } else {
    renderCharts(document);
  }

  // htmx: render charts in swapped-in content. The listener is harmless without htmx.
  // With an outerHTML swap the event target may be detached, so fall back to the document;
  // charts already rendered are skipped.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    renderCharts(target && target.isConnected ? target : document);
  });
  // An outerHTML swap fires afterSwap on the old, detached element, which never reaches the
  // document; htmx:load fires on the new content once it is in the page.
  document.addEventListener("htmx:load", function (event) {
    var target = event.target;
    renderCharts(target && target.isConnected ? target : document);
  });
})();
