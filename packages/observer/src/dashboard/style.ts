/** The dashboard's stylesheet: plain CSS, light theme, no external fonts. */
export const style = `
:root { --bg:#f5f6f8; --panel:#fff; --ink:#1d2330; --muted:#667085; --line:#e3e6eb; --accent:#3b5bdb; --warn:#e8590c; --bad:#c92a2a; --ok:#2b8a3e; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
header { display:flex; align-items:center; gap:16px; padding:12px 20px; background:#1d2330; color:#fff; }
header h1 { font-size:17px; margin:0; font-weight:600; }
header .node { color:#aab3c5; }
#conn { margin-left:auto; font-size:12px; padding:3px 10px; border-radius:12px; background:#495057; }
#conn.live { background:var(--ok); }
#conn.down { background:var(--bad); }
main { padding:16px 20px; display:grid; gap:16px; grid-template-columns: minmax(320px, 420px) 1fr; align-items:start; }
#cards { grid-column:1 / -1; display:grid; grid-template-columns:repeat(6, minmax(140px, 1fr)); gap:12px; }
.card, section { background:var(--panel); border:1px solid var(--line); border-radius:8px; }
.card { padding:10px 12px; }
.card.denied { grid-column:1 / -1; color:var(--bad); font-weight:600; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:22px; font-weight:600; font-variant-numeric:tabular-nums; }
.card svg { width:100%; height:34px; display:block; }
.card polyline { fill:none; stroke:var(--accent); stroke-width:1.5; }
section h2 { font-size:14px; margin:0; padding:10px 14px; border-bottom:1px solid var(--line); display:flex; gap:8px; align-items:center; }
section h2 .count { color:var(--muted); font-weight:400; }
.tools { display:flex; gap:8px; margin-left:auto; font-weight:400; }
input, select, button { font:inherit; font-size:13px; }
input[type=search] { padding:4px 8px; border:1px solid var(--line); border-radius:6px; width:200px; }
button { border:1px solid var(--line); background:#fff; border-radius:6px; padding:2px 8px; cursor:pointer; }
button:hover { border-color:var(--accent); }
button.danger { color:var(--bad); }
button.danger:hover { border-color:var(--bad); background:#fff5f5; }
#tree { padding:8px 10px 12px; font-size:13px; }
#tree ul { list-style:none; margin:0; padding-left:18px; border-left:1px dashed var(--line); }
#tree > ul { padding-left:0; border-left:none; }
#tree li { margin:3px 0; }
#tree .row { display:flex; gap:6px; align-items:center; flex-wrap:wrap; padding:2px 4px; border-radius:5px; }
#tree .row:hover { background:#f1f3f5; }
#tree .row button { padding:0 6px; font-size:12px; opacity:.45; }
#tree .row:hover button, #tree .row:focus-within button { opacity:1; }
.pidtext { color:var(--muted); font-family:ui-monospace, Menlo, monospace; font-size:12px; }
.tag { font-size:11px; padding:0 6px; border-radius:9px; background:#edf2ff; color:#364fc7; white-space:nowrap; }
.tag.b-supervisor, .tag.b-dynamic_supervisor { background:#fff4e6; color:#d9480f; }
.tag.b-task { background:#ebfbee; color:#2b8a3e; }
.tag.b-state_machine { background:#f3f0ff; color:#6741d9; }
.tag.b-process, .tag.b-handler { background:#f1f3f5; color:#495057; }
.tag.restarts { background:#fff5f5; color:var(--bad); }
.tag.state-restarting, .tag.state-stopped { background:#fff5f5; color:var(--bad); }
a.open { color:var(--ink); text-decoration:none; font-weight:600; cursor:pointer; }
a.open:hover { color:var(--accent); text-decoration:underline; }
.meta { color:var(--muted); font-size:12px; }
.table-wrap { max-height:560px; overflow:auto; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { padding:5px 10px; border-bottom:1px solid var(--line); text-align:left; white-space:nowrap; }
th { position:sticky; top:0; background:#f8f9fa; cursor:pointer; user-select:none; font-weight:600; color:#343a40; }
th.sorted::after { content:' ▾'; }
th.sorted.asc::after { content:' ▴'; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
tbody tr { cursor:pointer; }
tbody tr:hover { background:#f8f9fa; }
tbody tr.selected { background:#edf2ff; }
td.mailbox.busy { color:var(--warn); font-weight:700; }
#nodes { grid-column:1 / -1; }
#nodes th { cursor:default; }
#nodes tbody tr.selected { background:#edf2ff; font-weight:600; }
#node-picker { background:#343b4d; color:#fff; border:1px solid #495067; border-radius:6px; padding:2px 6px; }
#events { padding:6px 14px 10px; font-size:12px; max-height:220px; overflow:auto; }
#events div { padding:2px 0; border-bottom:1px dotted var(--line); }
#events .ev-child_restarted { color:var(--ok); }
#events .ev-child_terminated { color:var(--warn); }
#events .ev-start_error, #events .ev-shutdown, #events .ev-shutdown_error { color:var(--bad); }
#events .ev-restarted_by_observer { color:var(--accent); }
#detail { position:fixed; top:0; right:0; bottom:0; width:min(520px, 100vw); background:var(--panel); border-left:1px solid var(--line); box-shadow:-8px 0 24px rgba(0,0,0,.08); overflow:auto; padding:0 0 24px; display:none; }
#detail.open { display:block; }
#detail header { background:#fff; color:var(--ink); border-bottom:1px solid var(--line); position:sticky; top:0; }
#detail .body { padding:12px 16px; }
#detail dl { display:grid; grid-template-columns: 130px 1fr; gap:4px 10px; margin:0 0 12px; }
#detail dt { color:var(--muted); }
#detail dd { margin:0; font-variant-numeric:tabular-nums; }
#detail h3 { font-size:13px; margin:16px 0 6px; display:flex; gap:8px; align-items:center; }
pre { background:#f8f9fa; border:1px solid var(--line); border-radius:6px; padding:8px 10px; font-size:12px; overflow:auto; max-height:300px; margin:0; }
#messages { font-family:ui-monospace, Menlo, monospace; font-size:12px; }
#messages div { padding:3px 0; border-bottom:1px dotted var(--line); overflow-wrap:anywhere; }
#messages .kind { color:var(--accent); margin-right:6px; }
#graph svg { width:100%; height:200px; background:#f8f9fa; border-radius:6px; border:1px solid var(--line); }
#graph text { font-size:10px; fill:#343a40; font-family:ui-monospace, Menlo, monospace; }
#toast { position:fixed; left:50%; bottom:20px; transform:translateX(-50%); background:#1d2330; color:#fff; padding:8px 14px; border-radius:6px; display:none; max-width:80vw; }
#toast.show { display:block; }
#toast.error { background:var(--bad); }
.empty { color:var(--muted); padding:10px 14px; }
#tabs { display:flex; gap:4px; }
#tabs .tab { color:#aab3c5; text-decoration:none; padding:3px 10px; border-radius:6px; }
#tabs .tab:hover { color:#fff; }
#tabs .tab.active { background:#343b4d; color:#fff; }
[hidden] { display:none !important; }
#view { padding:16px 20px; display:grid; gap:16px; }
#view-page { display:grid; gap:16px; }
.view-title { font-size:16px; margin:0; overflow-wrap:anywhere; }
.vblock > :not(h2) { margin:10px 14px; }
.vblock > .table-wrap { margin:0; }
.vcards { display:flex; gap:12px; flex-wrap:wrap; }
.vcards .card { min-width:120px; }
.vtable td { white-space:pre-line; overflow-wrap:anywhere; max-width:480px; }
.vfacts { display:grid; grid-template-columns:150px 1fr; gap:4px 10px; }
.vfacts dt { color:var(--muted); }
.vfacts dd { margin:0; overflow-wrap:anywhere; }
.vactions { display:flex; gap:8px; flex-wrap:wrap; }
.vchart { width:100%; height:80px; display:block; background:#f8f9fa; border-radius:6px; }
.vchart polyline { fill:none; stroke-width:1.5; vector-effect:non-scaling-stroke; }
.vchart .s0, .legend.s0 b { stroke:var(--ok); color:var(--ok); }
.vchart .s1, .legend.s1 b { stroke:var(--bad); color:var(--bad); }
.vchart .s2, .legend.s2 b { stroke:var(--accent); color:var(--accent); }
.vchart .s3, .legend.s3 b { stroke:var(--warn); color:var(--warn); }
.tone-ok { color:var(--ok); } .tone-warn { color:var(--warn); } .tone-bad { color:var(--bad); } .tone-muted { color:var(--muted); }
a.vlink { color:var(--accent); }
.vblock pre { white-space:pre-wrap; overflow-wrap:anywhere; }
@media (max-width: 1000px) { main { grid-template-columns:1fr; } #cards { grid-template-columns:repeat(3, 1fr); } }
`;
