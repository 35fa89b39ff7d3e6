/**
 * The dashboard's script: plain browser JavaScript, no framework. It listens to
 * `/api/events` (Server-Sent Events) for samples and the tree, sorts and filters the
 * table itself, fetches a process's page on demand, and sends actions; the session
 * cookie carries the token. (Written without template literals: it lives in one.)
 */
export const script = `
'use strict';
// The page never sees the token: opened with ?token=, the server set an HttpOnly cookie
// and redirected here; fetch and EventSource send that cookie.
var state = { rows: [], total: 0, history: [], sort: 'mailbox', order: 'desc', filter: '', behaviour: '', selected: null, tree: [],
  remote: null, querying: false, queryTimer: null,
  // The node view (nodes-script): the node shown when it is not this one, and what this one last sent.
  localNode: null, viewNode: null, localSample: null, localTree: null, nodeHistory: {} };
var $ = function (id) { return document.getElementById(id); };

function esc(value) {
  return String(value == null ? '' : value).replace(/[&<>"']/g, function (c) {
    return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
  });
}
function fmt(n, digits) {
  if (n == null) return '–';
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return digits ? n.toFixed(digits) : String(Math.round(n * 10) / 10);
}
function bytes(n) { return n == null ? '–' : (n / 1048576).toFixed(1) + ' MB'; }
function duration(ms) {
  if (ms == null) return '–';
  var s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
  return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
}
function toast(text, isError) {
  var el = $('toast');
  el.textContent = text;
  el.className = 'show' + (isError ? ' error' : '');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(function () { el.className = ''; }, 3500);
}
function api(method, path, body) {
  var headers = { 'content-type': 'application/json' };
  return fetch(path, { method: method, headers: headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) })
    .then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) throw new Error(data.error || ('HTTP ' + res.status));
        return data;
      });
    });
}
function pidPath(pid) { return encodeURIComponent(pid); }

// ---- cards and charts ----
var CARDS = [
  ['processes', 'Processes', function (t) { return fmt(t.processes); }],
  ['queued', 'Queued messages', function (t) { return fmt(t.queued); }],
  ['messagesPerSec', 'Messages / s', function (t) { return fmt(t.messagesPerSec); }],
  ['restartsPerSec', 'Restarts / s', function (t) { return fmt(t.restartsPerSec, 1); }],
  ['eventLoopLagMs', 'Event-loop lag', function (t) { return t.eventLoopLagMs == null ? '–' : t.eventLoopLagMs.toFixed(1) + ' ms'; }],
  ['heapUsedBytes', 'Heap used', function (t) { return bytes(t.heapUsedBytes); }],
];
function shownHistory() { return state.viewNode == null ? state.history : (state.nodeHistory[state.viewNode] || []); }
function renderCards() {
  var history = shownHistory();
  var last = history[history.length - 1] || {};
  $('cards').innerHTML = CARDS.map(function (card) {
    return '<div class="card" id="card-' + card[0] + '"><div class="label">' + esc(card[1]) + '</div><div class="value">' +
      esc(card[2](last)) + '</div>' + sparkline(card[0]) + '</div>';
  }).join('');
}
function sparkline(key) {
  var points = shownHistory().slice(-120).map(function (t) { return t[key] == null ? 0 : t[key]; });
  if (points.length < 2) return '<svg viewBox="0 0 100 34"></svg>';
  var max = Math.max.apply(null, points) || 1;
  var step = 100 / (points.length - 1);
  var coords = points.map(function (v, i) { return (i * step).toFixed(1) + ',' + (32 - (v / max) * 30).toFixed(1); }).join(' ');
  return '<svg viewBox="0 0 100 34" preserveAspectRatio="none"><polyline points="' + coords + '"/></svg>';
}

// ---- process table ----
var COLUMNS = [
  ['pid', 'PID', ''], ['name', 'Name', ''], ['behaviour', 'Behaviour', ''], ['module', 'Module', ''], ['status', 'Status', ''],
  ['mailbox', 'Mailbox', 'num'], ['handled', 'Handled', 'num'], ['rate', 'Msgs/s', 'num'], ['links', 'Links', 'num'],
  ['monitors', 'Monitors', 'num'], ['uptime', 'Uptime', 'num'],
];
function sortValue(row, key) {
  if (key === 'uptime') return row.uptimeMs == null ? -1 : row.uptimeMs;
  if (key === 'rate') return row.rate == null ? -1 : row.rate;
  if (key === 'pid') return Number(row.pid.split('.')[1]);
  var v = row[key];
  return v == null ? '' : v;
}
function visibleRows() {
  var f = state.filter.toLowerCase();
  var rows = state.rows.filter(function (r) {
    if (state.behaviour && r.behaviour !== state.behaviour) return false;
    return !f || (r.pid + ' ' + (r.name || '') + ' ' + r.module + ' ' + r.behaviour + ' ' + r.status).toLowerCase().indexOf(f) >= 0;
  });
  var sign = state.order === 'asc' ? 1 : -1;
  rows.sort(function (a, b) {
    var x = sortValue(a, state.sort), y = sortValue(b, state.sort);
    var c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return sign * c || sortValue(a, 'pid') - sortValue(b, 'pid');
  });
  return rows;
}
function renderTableHead() {
  $('procs-head').innerHTML = '<tr>' + COLUMNS.map(function (c) {
    var cls = (c[2] ? c[2] + ' ' : '') + (state.sort === c[0] ? 'sorted ' + state.order : '');
    return '<th data-sort="' + c[0] + '" class="' + cls + '">' + esc(c[1]) + '</th>';
  }).join('') + '<th></th></tr>';
}
// A sample carries the busiest processes only. Past them, another order, a filter or a
// behaviour is asked of the server, which reads every process (in slices).
function truncated() { return state.total > state.rows.length; }
function queryKey() { return [state.sort, state.order, state.filter.trim().toLowerCase(), state.behaviour].join('|'); }
function needsServer() {
  // Another node's table is read from the server already, in the order and filter asked.
  if (state.viewNode != null) return false;
  return truncated() && (state.filter.trim() !== '' || state.behaviour !== '' || state.sort !== 'mailbox' || state.order !== 'desc');
}
function queryServer(delay) {
  clearTimeout(state.queryTimer);
  state.queryTimer = setTimeout(function () {
    if (!needsServer() || state.querying) return;
    var key = queryKey();
    var q = new URLSearchParams({ sort: state.sort, order: state.order, limit: '500' });
    if (state.filter.trim()) q.set('filter', state.filter.trim());
    if (state.behaviour) q.set('behaviour', state.behaviour);
    state.querying = true;
    api('GET', '/api/processes?' + q).then(function (data) {
      state.querying = false;
      state.remote = { key: key, rows: data.rows, at: Date.now() };
      renderTable();
      if (queryKey() !== key) queryServer(0);
    }, function (e) { state.querying = false; toast(e.message, true); });
  }, delay);
}
function tableRows() {
  if (!needsServer()) return visibleRows();
  return state.remote && state.remote.key === queryKey() ? state.remote.rows : [];
}
function renderTable() {
  var rows = tableRows();
  var server = needsServer();
  $('procs-count').textContent = state.viewNode != null ? rows.length + ' of ' + state.total + ' on node ' + state.viewNode : server ? (state.remote && state.remote.key === queryKey() ? rows.length + ' shown, of ' + state.total : 'searching ' + state.total + '…')
    : truncated() ? rows.length + ' busiest of ' + state.total + ' (filter or sort to search them all)'
    : rows.length + ' of ' + state.total;
  $('procs-body').innerHTML = rows.map(function (r) {
    return '<tr data-pid="' + esc(r.pid) + '"' + (state.selected === r.pid ? ' class="selected"' : '') + '>' +
      '<td class="pid pidtext">' + esc(r.pid) + '</td><td class="name">' + esc(r.name || '') + '</td>' +
      '<td><span class="tag b-' + esc(r.behaviour) + '">' + esc(r.behaviour) + '</span></td>' +
      '<td class="module">' + esc(r.module) + '</td><td class="status">' + esc(r.status) + '</td>' +
      '<td class="num mailbox' + (r.mailbox > 0 ? ' busy' : '') + '">' + r.mailbox + '</td>' +
      '<td class="num handled">' + fmt(r.handled) + '</td><td class="num rate">' + fmt(r.rate) + '</td>' +
      '<td class="num">' + r.links + '</td><td class="num">' + r.monitors + '</td>' +
      '<td class="num uptime">' + duration(r.uptimeMs) + '</td>' +
      '<td><button class="danger kill" data-pid="' + esc(r.pid) + '" title="exit(pid, kill)">kill</button></td></tr>';
  }).join('') || '<tr><td colspan="12" class="empty">' + (server && !(state.remote && state.remote.key === queryKey()) ? 'Searching…' : 'No process matches.') + '</td></tr>';
}
function tableChanged() {
  renderTableHead();
  renderTable();
  if (needsServer()) queryServer(250);
  if (state.viewNode != null) loadNode();
}

// ---- supervision tree ----
function renderTree() {
  var el = $('tree');
  if (!state.tree.length) { el.innerHTML = '<div class="empty">No supervisor is running.</div>'; return; }
  el.innerHTML = '<ul>' + state.tree.map(function (n) { return treeNode(n, null); }).join('') + '</ul>';
}
function treeNode(n, parent) {
  var label = n.name || n.id || n.module || 'child';
  var isSup = n.behaviour === 'supervisor' || n.behaviour === 'dynamic_supervisor' || n.type === 'supervisor';
  var html = '<li class="node' + (isSup ? ' sup' : '') + '"' + (n.pid ? ' data-pid="' + esc(n.pid) + '"' : '') +
    (n.id != null ? ' data-child-id="' + esc(n.id) + '"' : '') + '><div class="row">';
  html += n.pid ? '<a class="open" data-pid="' + esc(n.pid) + '">' + esc(label) + '</a> <span class="pidtext">' + esc(n.pid) + '</span>'
    : '<b>' + esc(label) + '</b>';
  if (n.behaviour) html += ' <span class="tag b-' + esc(n.behaviour) + '">' + esc(n.behaviour) + '</span>';
  if (n.strategy) {
    html += ' <span class="meta strategy"' + (n.intensity ? ' title="at most ' + esc(n.intensity.maxRestarts) + ' restarts in ' + esc(n.intensity.maxSeconds) + ' s"' : '') + '>' + esc(n.strategy) + '</span>';
  }
  if (n.restart) html += ' <span class="meta">' + esc(n.restart) + '</span>';
  if (n.state !== 'running') html += ' <span class="tag state-' + esc(n.state) + '">' + esc(n.state) + '</span>';
  if (n.restarts) html += ' <span class="tag restarts" title="restarts of this child by its supervisor">↻ ' + n.restarts + '</span>';
  if (n.restartCount && n.restartCount.total) {
    html += ' <span class="meta sup-restarts" title="' + esc(n.restartCount.recent) + ' within its maxSeconds">' + esc(n.restartCount.total) + ' restarts made</span>';
  }
  if (n.mailbox) html += ' <span class="meta">mailbox ' + n.mailbox + '</span>';
  if (parent && parent.behaviour === 'supervisor' && n.restart !== 'temporary' && state.viewNode == null) {
    html += ' <button class="restart" data-sup="' + esc(parent.pid) + '" data-id="' + esc(n.id) + '" title="terminateChild + restartChild">restart</button>';
  }
  if (n.pid) html += ' <button class="danger kill" data-pid="' + esc(n.pid) + '" title="exit(pid, kill)">kill</button>';
  if (n.error) html += ' <span class="meta">(' + esc(n.error) + ')</span>';
  html += '</div>';
  var children = (n.children || []).map(function (c) { return treeNode(c, n); });
  if (n.omitted) {
    children.push('<li class="omitted meta">' + fmt(n.omitted) + ' children, not listed (more than 100): the process table shows them' +
      (n.counts ? ' (' + fmt(n.counts.active) + ' running)' : '') + '</li>');
  }
  if (children.length) html += '<ul>' + children.join('') + '</ul>';
  return html + '</li>';
}
function renderEvents() {
  var events = [];
  (function walk(nodes) { nodes.forEach(function (n) { events = events.concat(n.recent || []); walk(n.children || []); }); })(state.tree);
  events.sort(function (a, b) { return b.at - a.at; });
  $('events').innerHTML = events.slice(0, 30).map(function (e) {
    return '<div class="ev-' + esc(e.event) + '">' + new Date(e.at).toLocaleTimeString() + ' ' + esc(e.event) + ' ' + esc(e.child) +
      (e.reason ? ' <span class="meta">' + esc(e.reason) + '</span>' : '') + '</div>';
  }).join('') || '<div class="empty">No supervisor event yet.</div>';
}

// ---- process page ----
function openProcess(pid) {
  state.selected = pid;
  $('detail').className = 'open';
  $('detail-title').textContent = pid;
  renderTable();
  loadProcess();
}
function closeProcess() {
  state.selected = null;
  $('detail').className = '';
  renderTable();
}
function loadProcess() {
  var pid = state.selected;
  if (!pid) return;
  api('GET', '/api/processes/' + pidPath(pid)).then(function (p) {
    if (state.selected === pid) renderProcess(p);
  }, function (error) {
    if (state.selected === pid) $('detail-body').innerHTML = '<p class="empty">' + esc(error.message) + '</p>';
  });
}
function renderProcess(p) {
  $('detail-title').textContent = (p.name || p.module) + ' ' + p.pid;
  var facts = [['Behaviour', p.behaviour], ['Module', p.module], ['Status', p.status], ['Mailbox', p.mailbox + (p.mailboxDropped ? ' (' + p.mailboxDropped + ' dropped)' : '')],
    ['Handled', p.handled], ['Msgs/s', fmt(p.rate)], ['Parent', p.parent], ['Trap exit', p.trapExit], ['Timers', p.pendingTimers], ['Uptime', duration(p.uptimeMs)]];
  var html = '<dl>' + facts.map(function (f) { return '<dt>' + esc(f[0]) + '</dt><dd>' + esc(f[1]) + '</dd>'; }).join('') + '</dl>';
  html += '<div><button class="danger kill" data-pid="' + esc(p.pid) + '">kill</button></div>';
  html += '<h3>Links and monitors</h3><div id="graph">' + graph(p) + '</div>';
  html += '<h3>State</h3>' + (p.state.available ? '<div class="meta">' + esc(p.state.module) + ' (through formatStatus)</div><pre id="state">' + esc(JSON.stringify(p.state.value, null, 2)) + '</pre>'
    : '<p class="meta" id="state">' + esc(p.state.reason) + '</p>');
  html += '<h3>Messages <button id="trace-toggle" data-on="' + (p.tracing ? '1' : '0') + '">' + (p.tracing ? 'stop tracing' : 'start tracing') + '</button></h3>';
  html += '<div id="messages">' + (p.tracing ? (p.messages.map(function (m) {
    return '<div><span class="meta">' + new Date(m.at).toLocaleTimeString() + '</span> <span class="kind">' + esc(m.kind) + '</span>' + esc(m.text) + '</div>';
  }).join('') || '<div class="meta">Tracing: no message yet.</div>') : '<div class="meta">Tracing is off. It records the last messages sent to this process.</div>') + '</div>';
  $('detail-body').innerHTML = html;
}
function graph(p) {
  var others = p.linked.map(function (x) { return [x, 'link']; })
    .concat(p.monitoring.map(function (x) { return [x, 'monitors']; }))
    .concat(p.monitoredBy.map(function (x) { return [x, 'monitored by']; })).slice(0, 16);
  var cx = 240, cy = 100, r = 75;
  var svg = '<svg viewBox="0 0 480 200">';
  others.forEach(function (o, i) {
    var a = (2 * Math.PI * i) / Math.max(others.length, 1) - Math.PI / 2;
    var x = cx + Math.cos(a) * r * 2.2, y = cy + Math.sin(a) * r;
    svg += '<line x1="' + cx + '" y1="' + cy + '" x2="' + x + '" y2="' + y + '" stroke="' + (o[1] === 'link' ? '#3b5bdb' : '#adb5bd') + '"' + (o[1] === 'link' ? '' : ' stroke-dasharray="4 3"') + '/>';
    svg += '<circle cx="' + x + '" cy="' + y + '" r="5" fill="#fff" stroke="#495057"/><text x="' + (x + 7) + '" y="' + (y + 3) + '">' + esc(o[0]) + (o[1] === 'link' ? '' : ' (' + o[1] + ')') + '</text>';
  });
  svg += '<circle cx="' + cx + '" cy="' + cy + '" r="8" fill="#3b5bdb"/><text x="' + (cx + 11) + '" y="' + (cy + 4) + '">' + esc(p.pid) + '</text></svg>';
  return others.length ? svg : '<p class="meta">No links or monitors.</p>';
}

// ---- actions ----
function kill(pid) {
  api('POST', '/api/processes/' + pidPath(pid) + '/kill').then(function () { toast('Sent kill to ' + pid); }, function (e) { toast(e.message, true); });
}
function restart(sup, id) {
  api('POST', '/api/supervisors/' + pidPath(sup) + '/children/' + encodeURIComponent(id) + '/restart')
    .then(function (r) { toast('Restarted ' + id + ' as ' + r.pid); }, function (e) { toast(e.message, true); });
}
function toggleTrace(on) {
  api('POST', '/api/processes/' + pidPath(state.selected) + '/trace', { on: on }).then(loadProcess, function (e) { toast(e.message, true); });
}
document.addEventListener('click', function (event) {
  var t = event.target.closest('button, a.open, th[data-sort], tbody tr[data-pid]');
  if (!t) return;
  if (t.matches('button.kill')) { event.stopPropagation(); kill(t.dataset.pid); }
  else if (t.matches('button.restart')) restart(t.dataset.sup, t.dataset.id);
  else if (t.id === 'trace-toggle') toggleTrace(t.dataset.on !== '1');
  else if (t.id === 'detail-close') closeProcess();
  else if (t.matches('a.open')) openProcess(t.dataset.pid);
  else if (t.matches('th[data-sort]')) {
    var key = t.dataset.sort;
    state.order = state.sort === key ? (state.order === 'asc' ? 'desc' : 'asc') : (['pid', 'name', 'behaviour', 'module', 'status'].indexOf(key) >= 0 ? 'asc' : 'desc');
    state.sort = key;
    tableChanged();
  } else if (t.matches('tr[data-pid]')) openProcess(t.dataset.pid);
});
$('filter').addEventListener('input', function (e) { state.filter = e.target.value; tableChanged(); });
$('behaviour').addEventListener('change', function (e) { state.behaviour = e.target.value; tableChanged(); });
document.addEventListener('keydown', function (e) { if (e.key === 'Escape') closeProcess(); });

// ---- live updates ----
function connect() {
  var source = new EventSource('/api/events');
  source.addEventListener('open', function () { $('conn').textContent = 'live'; $('conn').className = 'live'; });
  source.addEventListener('error', function () {
    $('conn').textContent = 'reconnecting…'; $('conn').className = 'down';
    // A refused stream is not retried by the browser: say why.
    if (source.readyState === EventSource.CLOSED) checkAccess();
  });
  source.addEventListener('hello', function (e) {
    var hello = JSON.parse(e.data);
    state.history = hello.history;
    state.localNode = hello.node;
    if (state.viewNode == null) $('node').textContent = 'node ' + hello.node;
    document.title = 'actorkit observer · node ' + hello.node;
    renderCards();
    if (hello.distributed) startNodeView();
  });
  source.addEventListener('sample', function (e) {
    var data = JSON.parse(e.data);
    var last = state.history[state.history.length - 1];
    if (!last || last.at !== data.totals.at) state.history.push(data.totals);
    if (state.history.length > 600) state.history.shift();
    state.localSample = data;
    if (state.viewNode == null) applyLocalSample();
  });
  source.addEventListener('tree', function (e) {
    state.localTree = JSON.parse(e.data);
    if (state.viewNode != null) return;
    state.tree = state.localTree;
    renderTree();
    renderEvents();
  });
}
function applyLocalSample() {
  var data = state.localSample;
  if (!data) return;
  state.rows = data.rows;
  state.total = data.total;
  renderCards();
  renderTable();
  // A search over every process follows the samples, at most every 2 s.
  if (needsServer() && !(state.remote && state.remote.key === queryKey() && Date.now() - state.remote.at < 2000)) queryServer(0);
}
function checkAccess() {
  fetch('/api', { credentials: 'same-origin' }).then(function (res) {
    if (res.status === 401 || res.status === 403) {
      $('conn').textContent = 'no access'; $('conn').className = 'down';
      $('cards').innerHTML = '<div class="card denied" id="denied">This dashboard needs this observer’s token: open the URL the observer printed (observer.dashboardUrl, ending in /?token=…).</div>';
    } else if (res.status === 503) {
      res.json().then(function (body) { toast(body.error, true); });
    }
  }, function () {});
}
renderTableHead();
renderCards();
renderTree();
renderEvents();
connect();
setInterval(function () { if (state.selected) loadProcess(); }, 2000);
`;
