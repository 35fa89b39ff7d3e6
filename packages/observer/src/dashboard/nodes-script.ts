/**
 * The dashboard's node view, for an observer given `{ nodes }`: a node picker in the
 * header and a table of every node's totals (`GET /api/nodes`, every 2 s). Picking a
 * worker node shows its cards, process table and tree, read from
 * `/api/nodes/:node/processes` and `/tree` every 2 s; its process pages and actions go
 * through `/api/processes/:pid`, which the server sends to the process's node. Picking
 * this node goes back to the live stream. Every value goes through `esc`: a node's data is
 * text, never HTML. It runs after the main script and uses its helpers and `state`.
 * (Written without template literals: it lives in one.)
 */
export const nodesScript = `
var nodeView = { on: false, list: [], timer: null, tableTimer: null, seq: 0 };
function startNodeView() {
  if (nodeView.on) return;
  nodeView.on = true;
  $('node-picker').hidden = false;
  $('nodes').hidden = false;
  pollNodes();
}
function pollNodes() {
  clearTimeout(nodeView.timer);
  api('GET', '/api/nodes').then(function (data) {
    nodeView.list = Array.isArray(data.nodes) ? data.nodes : [];
    nodeView.list.forEach(function (n) {
      if (n.self || !n.totals) return;
      var history = state.nodeHistory[n.node] || (state.nodeHistory[n.node] = []);
      var last = history[history.length - 1];
      if (!last || last.at !== n.totals.at) history.push(n.totals);
      if (history.length > 600) history.shift();
    });
    if (state.viewNode != null && !nodeView.list.some(function (n) { return n.node === state.viewNode; })) {
      toast('Node ' + state.viewNode + ' is down: showing node ' + state.localNode + '.', true);
      pickNode(null);
    }
    renderNodes();
    if (state.viewNode != null) renderCards();
  }, function () {}).then(function () { nodeView.timer = setTimeout(pollNodes, 2000); });
}
function renderNodes() {
  var shown = state.viewNode == null ? state.localNode : state.viewNode;
  $('node-picker').innerHTML = nodeView.list.map(function (n) {
    return '<option value="' + esc(n.node) + '"' + (n.node === shown ? ' selected' : '') + '>node ' + esc(n.node) +
      (n.self ? ' (this one)' : '') + '</option>';
  }).join('');
  $('nodes-body').innerHTML = nodeView.list.map(function (n) {
    var t = n.totals || {};
    return '<tr data-node="' + esc(n.node) + '"' + (n.node === shown ? ' class="selected"' : '') + '>' +
      '<td class="node-name">node ' + esc(n.node) + (n.self ? ' <span class="meta">this one</span>' : '') + '</td>' +
      '<td class="num processes">' + esc(fmt(t.processes)) + '</td><td class="num queued">' + esc(fmt(t.queued)) + '</td>' +
      '<td class="num rate">' + esc(fmt(t.messagesPerSec)) + '</td><td class="num heap">' + esc(bytes(t.heapUsedBytes)) + '</td>' +
      '<td class="num lag">' + (t.eventLoopLagMs == null ? '–' : esc(Number(t.eventLoopLagMs).toFixed(1)) + ' ms') + '</td>' +
      '<td class="meta error">' + esc(n.error || '') + '</td></tr>';
  }).join('') || '<tr><td colspan="7" class="empty">Reading the nodes…</td></tr>';
}
function pickNode(node) {
  if (node === state.localNode) node = null;
  if (node === state.viewNode) return;
  state.viewNode = node;
  nodeView.seq++;
  clearTimeout(nodeView.tableTimer);
  state.remote = null;
  closeProcess();
  $('node').textContent = 'node ' + (node == null ? state.localNode : node);
  renderNodes();
  if (node == null) {
    state.tree = state.localTree || [];
    applyLocalSample();
  } else {
    state.rows = [];
    state.total = 0;
    state.tree = [];
    loadNode();
  }
  renderCards();
  renderTable();
  renderTree();
  renderEvents();
}
function loadNode() {
  var node = state.viewNode;
  if (node == null) return;
  var seq = ++nodeView.seq;
  clearTimeout(nodeView.tableTimer);
  var q = new URLSearchParams({ sort: state.sort, order: state.order, limit: '500' });
  if (state.filter.trim()) q.set('filter', state.filter.trim());
  if (state.behaviour) q.set('behaviour', state.behaviour);
  var base = '/api/nodes/' + encodeURIComponent(node);
  Promise.all([api('GET', base + '/processes?' + q), api('GET', base + '/tree')]).then(function (answers) {
    if (seq !== nodeView.seq) return;
    state.rows = Array.isArray(answers[0].rows) ? answers[0].rows : [];
    state.total = answers[0].total;
    state.tree = Array.isArray(answers[1].tree) ? answers[1].tree : [];
    renderTable();
    renderTree();
    renderEvents();
  }, function (e) { if (seq === nodeView.seq) toast(e.message, true); }).then(function () {
    if (seq === nodeView.seq) nodeView.tableTimer = setTimeout(loadNode, 2000);
  });
}
$('node-picker').addEventListener('change', function (e) { pickNode(Number(e.target.value)); });
$('nodes-body').addEventListener('click', function (e) {
  var row = e.target.closest('tr[data-node]');
  if (row) pickNode(Number(row.dataset.node));
});
`;
