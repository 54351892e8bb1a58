package report

import "html/template"

// pageTemplate is the whole page: inline CSS, inline SVG, and an inline
// script that sorts a table by the column whose header is clicked. It
// refers to nothing outside the file. Its parts are shared with the
// comparison page (compareTemplate).
var pageTemplate = template.Must(template.Must(template.New("report").Funcs(template.FuncMap{"rects": rectsHTML, "cells": cellsHTML}).Parse(sharedTemplates)).Parse(`<!DOCTYPE html>
{{template "head" .}}</head>
<body>
{{template "meta" .}}<dt>duration</dt><dd id="duration">{{.Duration}}</dd>
<dt>sessions</dt><dd>{{.Sessions}}</dd>
<dt>events seen</dt><dd>{{.Events}}{{if .EventsDropped}} ({{.EventsDropped}} dropped){{end}}</dd>
{{template "opening" .}}<h2>Over time</h2>
<p>Issuer calls of all sessions per {{.Chart.Per}} (blue), the failed ones over them (orange), injected faults behind (grey).</p>
{{template "chart" .Chart}}<h2>Timeline</h2>
<div class="legend">{{range .Legend}}<span><i style="background:{{.Color}}"></i>{{.Label}}</span>{{end}}</div>
<svg id="timeline" width="{{.Timeline.Width}}" height="{{.Timeline.Height}}" viewBox="0 0 {{.Timeline.Width}} {{.Timeline.Height}}">
<rect x="0" y="0" width="{{.Timeline.Width}}" height="{{.Timeline.Height}}" fill="#ffffff"/>
{{range .Timeline.Ticks}}<line x1="{{.X}}" x2="{{.X}}" y1="14" y2="{{$.Timeline.Height}}" stroke="#e4e4e4"/><text x="{{.X}}" y="12" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .Timeline.Lanes}}<g class="lane{{if .Group}} group{{end}}" data-session="{{.Label}}"><title>{{.Title}}</title>
<rect x="{{$.Timeline.PlotX}}" y="{{.Y}}" width="{{$.Timeline.PlotW}}" height="22" fill="#f7f7f7"/>
<text x="4" y="{{.TextY}}">{{.Label}}</text>
{{rects "" 2 .Rects}}</g>
{{end}}{{rects "fault" 1 .Timeline.Faults}}</svg>
<h2>Per session</h2>
{{with .SessionNote}}<p class="note">{{.}}</p>{{end}}
<table class="sortable" id="sessions">
<thead><tr><th>session</th><th>policy</th><th>issuer calls</th><th>successes</th><th>failures</th><th>aborts</th><th>caller errors</th><th>token gap</th><th>longest wait</th><th>resource refusals</th></tr></thead>
<tbody>
{{range .SessionRows}}<tr>{{cells .Cells}}</tr>
{{end}}</tbody>
</table>
<h2>Issuer latency</h2>
<p id="latency-note">{{.LatencyNote}}</p>
<svg id="latency" width="{{.Histogram.Width}}" height="{{.Histogram.Height}}" viewBox="0 0 {{.Histogram.Width}} {{.Histogram.Height}}">
<line x1="{{.Histogram.AxisX}}" x2="{{.Histogram.AxisX}}" y1="10" y2="{{.Histogram.Base}}" stroke="#888"/><line x1="{{.Histogram.AxisX}}" x2="{{.Histogram.Width}}" y1="{{.Histogram.Base}}" y2="{{.Histogram.Base}}" stroke="#888"/>
{{range .Histogram.YTicks}}<text x="{{$.Histogram.AxisX}}" dx="-4" y="{{.X}}" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}<text x="2" y="10">calls</text>
{{range .Histogram.Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="#1f77b4"><title>{{.Title}}</title></rect><text x="{{.X}}" y="{{.LabelY}}">{{.Label}}</text>
{{end}}{{range .Histogram.Bars}}{{if .Count}}<text class="count" x="{{.CountX}}" y="{{.CountY}}" text-anchor="middle">{{.Count}}</text>
{{end}}{{end}}</svg>
{{template "script"}}</body>
</html>
`))

// sharedTemplates are the parts of the page the comparison page shows too:
// the head, the header's first lines (meta), the notes, verdict and
// per-policy table (opening), the style, the chart over time (of a
// chartView) and the table-sorting script.
const sharedTemplates = `{{define "head"}}<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
{{template "style"}}{{end}}{{define "meta"}}<h1>{{.Title}}</h1>
<dl class="meta">
<dt>scenario</dt><dd id="scenario">{{.Scenario}}</dd>
<dt>seed</dt><dd id="seed">{{.Seed}}</dd>
<dt>clock</dt><dd id="clock">{{.Clock}}</dd>
<dt>start</dt><dd>{{.Start}}</dd>
{{end}}{{define "opening"}}</dl>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}
<div id="verdict">{{range .Verdict}}<p>{{.}}</p>{{end}}</div>
<h2>Per policy</h2>
{{template "policies" .}}{{end}}{{define "style"}}<style>
body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 6px}
h2{font-size:16px;margin:22px 0 6px}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:0}
dl.meta dt{color:#666}
dl.meta dd{margin:0}
.note{color:#8a4b00}
.legend span{display:inline-block;margin:0 12px 4px 0}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border:1px solid #0002}
svg text{font:11px system-ui,sans-serif;fill:#333}
svg .group{font-style:italic}
table{border-collapse:collapse;margin-top:4px}
th,td{border:1px solid #ddd;padding:3px 8px}
th{background:#f3f3f3;cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \25B2"}
th[aria-sort=descending]::after{content:" \25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
#verdict{font-size:15px;max-width:1100px}
#policies th,#policies td{padding:3px 5px;font-size:13px}
.wide{overflow-x:auto}
svg .count{font-size:10px;fill:#555}
</style>
{{end}}{{define "policies"}}<div class="wide"><table class="sortable" id="policies">
<thead><tr>{{range .PolicyHead}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Policies}}<tr>{{cells .Cells}}</tr>
{{end}}</tbody>
</table></div>
<p>Issuer latency p50–max is of the calls that had an answer; 2xx counts the answers with a token (a token rejected later as expired or malformed too), timeout the calls that got no answer in time or were aborted.</p>
{{end}}{{define "chart"}}<svg id="{{.ID}}" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
<rect x="0" y="0" width="{{.Width}}" height="{{.Height}}" fill="#ffffff"/>
{{rects "fault" 1 .Faults}}{{rects "calls" 0 .Calls}}{{rects "failed" 0 .Failed}}<line x1="{{.PlotX}}" x2="{{.PlotX}}" y1="{{.Top}}" y2="{{.Base}}" stroke="#888"/><line x1="{{.PlotX}}" x2="{{.Width}}" y1="{{.Base}}" y2="{{.Base}}" stroke="#888"/>
{{range .YTicks}}<text x="{{$.PlotX}}" dx="-4" y="{{.X}}" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}{{range .Ticks}}<text x="{{.X}}" y="{{$.Base}}" dy="14" text-anchor="middle">{{.Label}}</text>
{{end}}<text x="4" y="{{.Top}}" dy="10">issuer calls</text>
</svg>
{{end}}{{define "script"}}<script>
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        var c = x.classList.contains("num") ?
          parseFloat(x.dataset.key) - parseFloat(y.dataset.key) :
          x.dataset.key.localeCompare(y.dataset.key);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
</script>
{{end}}`
