/**
 * The dashboard's style sheet: plain CSS, every rule under `.bd` so an
 * embedding page keeps its own look. Dark text on light backgrounds (4.5:1
 * or more), a visible focus ring, one column at phone width. The `.u-*`
 * rules are the parts of uPlot's own sheet (MIT) that its charts need.
 */
export const DASHBOARD_CSS = `
.bd{--ink:#111827;--muted:#4b5563;--line:#d1d5db;--soft:#e5e7eb;--page:#f3f4f6;--focus:#1d4ed8;--link:#1d4ed8;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--page);min-height:100%}
.bd *,.bd *::before,.bd *::after{box-sizing:border-box}
.bd :focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.bd h1{font-size:1.25rem;margin:0}
.bd h2{font-size:1.05rem;margin:0}
.bd h3{font-size:.95rem;margin:16px 0 6px}
.bd p{margin:6px 0}
.bd .mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em;overflow-wrap:anywhere}
.bd .muted{color:var(--muted)}
.bd .empty{color:var(--muted);font-style:italic}
.bd .error{color:#991b1b;background:#fef2f2;border:1px solid #fecaca;border-radius:6px;padding:6px 10px}
.bd .sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.bd button,.bd select,.bd input{font:inherit;color:var(--ink)}
.bd button{background:#fff;border:1px solid #6b7280;border-radius:6px;padding:4px 10px;cursor:pointer;min-height:32px}
.bd button:hover:not(:disabled){background:var(--page)}
.bd button:disabled{color:#6b7280;border-color:#9ca3af;cursor:not-allowed}
.bd button[aria-pressed=true]{background:#dbeafe;border-color:var(--focus)}
.bd button.danger{color:#991b1b;border-color:#b91c1c}
.bd button.primary{background:#1d4ed8;border-color:#1d4ed8;color:#fff}
.bd button.link{background:none;border:0;padding:2px 0;min-height:0;color:var(--link);text-decoration:underline;text-align:left}
.bd select,.bd input{border:1px solid #6b7280;border-radius:6px;padding:4px 8px;background:#fff;min-height:32px;max-width:100%}
.bd .top{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;padding:10px 16px;background:#fff;border-bottom:1px solid var(--line)}
.bd .top .grow{flex:1 1 auto}
.bd .jump{display:flex;flex-wrap:wrap;gap:4px 12px;padding:6px 16px;margin:0;list-style:none;background:#fff;border-bottom:1px solid var(--line)}
.bd .jump a{color:var(--link)}
.bd .status{margin:0}
.bd .grid{display:grid;gap:16px;padding:16px;grid-template-columns:repeat(auto-fit,minmax(min(100%,480px),1fr));align-items:start}
.bd .panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:0}
.bd .wide{grid-column:1/-1}
.bd .history td.wrap{min-width:24ch}
.bd .panel-head{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:8px;margin-bottom:8px}
.bd .toolbar{display:flex;flex-wrap:wrap;align-items:center;gap:8px}
.bd .field{display:flex;flex-direction:column;gap:2px;margin:4px 0}
.bd .field label{font-size:.85rem;color:var(--muted)}
.bd .filters{display:flex;flex-wrap:wrap;gap:8px 16px;margin-bottom:8px}
.bd .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:8px;margin:0 0 12px}
.bd .card{border:1px solid var(--soft);border-radius:6px;padding:8px 10px}
.bd .card dt{font-size:.8rem;color:var(--muted)}
.bd .card dd{margin:0;font-size:1.3rem;font-weight:600;font-variant-numeric:tabular-nums}
.bd .facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:8px 0}
.bd .facts dt{color:var(--muted)}
.bd .facts dd{margin:0;min-width:0}
@media (min-width:900px){.bd .detail-facts{grid-template-columns:max-content 1fr max-content 1fr}}
.bd .table-wrap{overflow-x:auto;margin:4px 0 8px;max-width:100%}
.bd table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
.bd caption{text-align:left;font-weight:600;padding:4px 0;color:#374151}
.bd th,.bd td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--soft);white-space:nowrap;vertical-align:top}
.bd thead th{font-size:.85rem;color:#374151;border-bottom-color:var(--line)}
.bd .numbers td{text-align:right}
.bd .fit th,.bd .fit td{white-space:normal}
.bd td.wrap,.bd span.wrap{white-space:normal;overflow-wrap:anywhere;min-width:14ch}
.bd pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;max-height:20rem;overflow:auto;font-size:.85em;background:var(--page);padding:6px;border-radius:4px}
.bd details{margin:8px 0}
.bd summary{cursor:pointer;font-weight:600}
.bd .state{display:inline-block;padding:0 6px;border-radius:4px;font-size:.85em;background:var(--soft);color:#1f2937}
.bd .state-failed{background:#fee2e2;color:#991b1b}
.bd .state-succeeded{background:#d1fae5;color:#065f46}
.bd .state-running{background:#dbeafe;color:#1e3a8a}
.bd .state-ready{background:#e0e7ff;color:#3730a3}
.bd .state-scheduled{background:#fef3c7;color:#78350f}
.bd .breaker-open{color:#991b1b;font-weight:600}
.bd .breaker-half-open{color:#78350f;font-weight:600}
.bd .congestion{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin-bottom:8px}
.bd .congestion meter{width:10rem}
.bd .inline-list{display:inline;list-style:none;margin:0;padding:0}
.bd .inline-list li{display:inline;margin-right:8px}
.bd .deps{list-style:none;padding:0;margin:0}
.bd .deps li{display:flex;flex-wrap:wrap;gap:8px;align-items:center;padding:2px 0}
.bd .pager{display:flex;flex-wrap:wrap;align-items:center;gap:8px}
.bd .pager-note{color:var(--muted)}
.bd .confirm{display:inline-flex;gap:4px}
.bd .failure{border-left:4px solid #b91c1c;padding:2px 10px;background:#fef2f2;margin:8px 0}
.bd .failure h3{margin:4px 0}
.bd .feed{list-style:none;margin:0;padding:0;max-height:26rem;overflow:auto}
.bd .feed li{display:flex;flex-wrap:wrap;gap:2px 10px;padding:4px 0;border-bottom:1px solid var(--page);align-items:baseline}
.bd .feed time{font-variant-numeric:tabular-nums;color:var(--muted)}
.bd .event{font-weight:600}
.bd .event-failed,.bd .event-stalled{color:#991b1b}
.bd .event-succeeded{color:#065f46}
.bd .feed-open{color:#065f46;font-weight:600}
.bd .feed-retrying,.bd .feed-closed{color:#991b1b;font-weight:600}
.bd .chart{margin:0 0 8px}
.bd .chart-canvas{width:100%;min-height:150px}
.bd .chart-key{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;margin:4px 0 0;padding:0;font-size:.85rem}
.bd .chart-key li{display:flex;align-items:center;gap:6px}
.bd .swatch{display:inline-block;width:22px;border-top:3px solid}
.bd .swatch.dashed{border-top-style:dashed}
.bd .chart-readout{min-height:1.45em;font-size:.85rem;color:var(--muted);margin:2px 0 0}
.bd .login{max-width:26rem;margin:10vh auto;background:#fff;border:1px solid var(--line);border-radius:8px;padding:20px}
.bd .login .field{margin:12px 0}
@media (max-width:600px){.bd .grid{padding:8px;gap:8px}.bd .panel{padding:10px}.bd .top{padding:8px}.bd .card dd{font-size:1.1rem}
.bd table.jobs thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0)}
.bd table.jobs,.bd table.jobs tbody,.bd table.jobs tr,.bd table.jobs td{display:block}
.bd table.jobs tr{border-bottom:1px solid var(--line);padding:6px 0}
.bd table.jobs td{display:flex;gap:8px;border:0;padding:1px 0;white-space:normal}
.bd table.jobs td[data-label]::before{content:attr(data-label);flex:0 0 5.5rem;color:var(--muted);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.bd table.jobs td.empty::before{content:none}
.bd table.jobs caption{display:block}
.bd table.jobs td:empty{display:none}}
.uplot,.uplot *,.uplot *::before,.uplot *::after{box-sizing:border-box}
.uplot{font-family:system-ui,sans-serif;line-height:1.5;width:min-content}
.u-wrap{position:relative;user-select:none}
.u-over,.u-under{position:absolute}
.u-under{overflow:hidden}
.uplot canvas{display:block;position:relative;width:100%;height:100%}
.u-axis{position:absolute}
.u-select{background:rgba(0,0,0,.07);position:absolute;pointer-events:none}
.u-cursor-x,.u-cursor-y{position:absolute;left:0;top:0;pointer-events:none;will-change:transform}
.u-hz .u-cursor-x,.u-vt .u-cursor-y{height:100%;border-right:1px dashed #607d8b}
.u-hz .u-cursor-y,.u-vt .u-cursor-x{width:100%;border-bottom:1px dashed #607d8b}
.u-axis.u-off,.u-select.u-off,.u-cursor-x.u-off,.u-cursor-y.u-off,.u-cursor-pt.u-off{display:none}
`;

/** Adds the style sheet to a document once. */
export function injectStyles(doc: Document): void {
  if (doc.getElementById('baton-dashboard-css') !== null) return;
  const style = doc.createElement('style');
  style.id = 'baton-dashboard-css';
  style.textContent = DASHBOARD_CSS;
  doc.head.append(style);
}
