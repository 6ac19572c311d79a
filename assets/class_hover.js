// The Class page's loss chart: the line under the pointer stands out, the others fade (plotly has no hover
// highlight of its own). Checked every 400 ms and wired again after a redraw.
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
  // A redraw that purges the chart (plotly's newPlot) drops its listeners but keeps the div, so "wired" is asked
  // of plotly's emitter each time, not remembered on the div.
  const wired = (chart) => !!chart._ev && chart._ev.listeners("plotly_hover").includes(chart.__aecoreHover);
  const wire = (chart) => {
    if (typeof chart.on !== "function" || wired(chart)) return;
    chart.__aecoreHover = (event) => highlight(chart, event.points[0].curveNumber);
    chart.on("plotly_hover", chart.__aecoreHover);
    chart.on("plotly_unhover", () => highlight(chart, null));
  };
  window.__aecoreClassHoverWired = wired;
  setInterval(() => document.querySelectorAll(".st-key-class_chart_box .js-plotly-plot").forEach(wire), 400);
})();
