// The Class page's loss chart: the line under the pointer stands out, the others fade (plotly has no hover
// highlight of its own). Wired once per chart element; plotly redraws keep the handlers, which live on the div.
(function () {
  if (window.__aecoreClassHover) return;
  window.__aecoreClassHover = true;
  const FADED = "0.15";
  const traces = (chart) => chart.querySelectorAll(".scatterlayer .trace");
  const highlight = (chart, picked) => traces(chart).forEach((trace, index) => {
    trace.style.opacity = picked === null || index === picked ? "" : FADED;
    const line = trace.querySelector("path.js-line");
    if (line) line.style.strokeWidth = index === picked ? "4px" : "";
  });
  const wire = (chart) => {
    if (chart.__aecoreHover || typeof chart.on !== "function") return;
    chart.__aecoreHover = true;
    chart.on("plotly_hover", (event) => highlight(chart, event.points[0].curveNumber));
    chart.on("plotly_unhover", () => highlight(chart, null));
  };
  setInterval(() => document.querySelectorAll(".st-key-class_chart_box .js-plotly-plot").forEach(wire), 400);
})();
