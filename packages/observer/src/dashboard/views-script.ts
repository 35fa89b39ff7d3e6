/**
 * The dashboard's extra views: a tab per view (`GET /api/views`), and the view's page
 * (`GET /api/views/:id/page?at=`) drawn from its blocks. Every value goes through `esc`
 * (text, never HTML); links are `#view/…` fragments or process pages; an action POSTs to
 * the view's route with the session cookie and reloads the page. It runs after the main
 * script and uses its helpers (`$`, `esc`, `fmt`, `api`, `toast`). (Written without
 * template literals: it lives in one.)
 */
export const viewsScript = `
var views = { list: [], current: null, timer: null, seq: 0 };
function safeDecode(s) { try { return decodeURIComponent(s); } catch (e) { return s; } }
function viewHash(id, path) { return '#view/' + [id].concat(path).map(encodeURIComponent).join('/'); }
function parseHash() {
  var h = location.hash.replace(/^#/, '');
  if (h.indexOf('view/') !== 0) return null;
  var parts = h.slice(5).split('/').filter(function (s) { return s !== ''; }).map(safeDecode);
  return parts.length ? { id: parts[0], path: parts.slice(1) } : null;
}
function loadViews() {
  api('GET', '/api/views').then(function (data) {
    views.list = Array.isArray(data.views) ? data.views : [];
    renderTabs();
    showRoute();
  }, function () {});
}
function renderTabs() {
  if (!views.list.length) { $('tabs').innerHTML = ''; return; }
  $('tabs').innerHTML = '<a class="tab" data-tab="" href="#">Node</a>' + views.list.map(function (v) {
    return '<a class="tab" data-tab="' + esc(v.id) + '" href="' + esc(viewHash(v.id, [])) + '">' + esc(v.title) + '</a>';
  }).join('');
  markTab();
}
function markTab() {
  var id = views.current ? views.current.id : '';
  Array.prototype.forEach.call(document.querySelectorAll('#tabs .tab'), function (a) {
    a.className = 'tab' + (a.dataset.tab === id ? ' active' : '');
  });
}
function showRoute() {
  var at = parseHash();
  clearTimeout(views.timer);
  views.seq++;
  var known = at && views.list.some(function (v) { return v.id === at.id; });
  views.current = known ? at : null;
  $('node-main').hidden = !!known;
  $('view').hidden = !known;
  markTab();
  if (!known) return;
  $('view-page').innerHTML = '<p class="empty">Loading…</p>';
  loadView();
}
function loadView() {
  var at = views.current;
  if (!at) return;
  var seq = ++views.seq;
  var path = at.path.map(encodeURIComponent).join('/');
  api('GET', '/api/views/' + encodeURIComponent(at.id) + '/page?at=' + encodeURIComponent(path)).then(function (page) {
    if (seq !== views.seq) return;
    renderView(at.id, page);
    if (page.refresh > 0) views.timer = setTimeout(loadView, page.refresh);
  }, function (e) {
    if (seq !== views.seq) return;
    $('view-page').innerHTML = '<p class="empty view-error">' + esc(e.message) + '</p>';
    views.timer = setTimeout(loadView, 5000);
  });
}
function renderView(id, page) {
  var html = page.title ? '<h2 class="view-title">' + esc(page.title) + '</h2>' : '';
  html += (page.blocks || []).map(function (b) {
    var inner;
    try { inner = viewBlock(id, b); } catch (e) { inner = '<p class="meta">[A block that could not be drawn]</p>'; }
    return '<section class="vblock vb-' + esc(b.type) + '"' + (b.id ? ' data-block="' + esc(b.id) + '"' : '') + '>' +
      (b.title ? '<h2>' + esc(b.title) + '</h2>' : '') + inner + '</section>';
  }).join('');
  var scroll = window.scrollY;
  $('view-page').innerHTML = html;
  window.scrollTo(0, scroll);
}
function viewBlock(id, b) {
  switch (b.type) {
    case 'cards':
      return '<div class="vcards">' + b.cards.map(function (c) {
        return '<div class="card"><div class="label">' + esc(c.label) + '</div><div class="value">' + viewCell(id, c.value) + '</div></div>';
      }).join('') + '</div>';
    case 'table':
      return '<div class="table-wrap"><table class="vtable"><thead><tr>' + b.columns.map(function (c) {
        return '<th' + (c.numeric ? ' class="num"' : '') + '>' + esc(c.label) + '</th>';
      }).join('') + '</tr></thead><tbody>' + (b.rows.map(function (row) {
        return '<tr>' + row.map(function (cell, i) {
          var col = b.columns[i];
          return '<td' + (col && col.numeric ? ' class="num"' : '') + '>' + viewCell(id, cell) + '</td>';
        }).join('') + '</tr>';
      }).join('') || '<tr><td colspan="' + Math.max(b.columns.length, 1) + '" class="empty">' + esc(b.empty) + '</td></tr>') + '</tbody></table></div>';
    case 'facts':
      return '<dl class="vfacts">' + b.facts.map(function (f) { return '<dt>' + esc(f[0]) + '</dt><dd>' + viewCell(id, f[1]) + '</dd>'; }).join('') + '</dl>';
    case 'chart': return viewChart(b);
    case 'text': return '<p class="vtext' + (b.tone ? ' tone-' + esc(b.tone) : '') + '">' + esc(b.text) + '</p>';
    case 'code': return '<pre>' + esc(b.text) + '</pre>';
    case 'actions': return '<div class="vactions">' + viewActions(id, b.actions) + '</div>';
  }
  return '';
}
function viewCell(id, c) {
  if (c == null || typeof c !== 'object') return esc(c);
  var text = esc(c.text);
  if (c.pid) text = '<a class="open pidtext" data-pid="' + esc(c.pid) + '" title="the process page">' + (text || esc(c.pid)) + '</a>';
  else if (c.link) text = '<a class="vlink" href="' + esc(viewHash(id, c.link)) + '">' + text + '</a>';
  if (c.tone) text = '<span class="tone-' + esc(c.tone) + '">' + text + '</span>';
  if (c.title) text = '<span title="' + esc(c.title) + '">' + text + '</span>';
  if (c.actions && c.actions.length) text += ' ' + viewActions(id, c.actions);
  return text;
}
function viewActions(id, actions) {
  return (actions || []).map(function (a) {
    return '<button class="vaction' + (a.danger ? ' danger' : '') + '" data-view="' + esc(id) + '" data-post="' + esc(JSON.stringify(a.post)) +
      '" data-body="' + esc(JSON.stringify(a.body || {})) + '">' + esc(a.label) + '</button>';
  }).join(' ');
}
function viewChart(b) {
  var all = [];
  b.series.forEach(function (s) { all = all.concat(s.values); });
  var max = Math.max.apply(null, all.concat([0])) || 1;
  var svg = '<svg class="vchart" viewBox="0 0 300 80" preserveAspectRatio="none">';
  b.series.forEach(function (s, i) {
    var n = s.values.length;
    if (n < 1) return;
    var step = n > 1 ? 300 / (n - 1) : 0;
    var pts = s.values.map(function (v, j) { return (j * step).toFixed(1) + ',' + (78 - (v / max) * 74).toFixed(1); }).join(' ');
    svg += '<polyline class="s' + (i % 4) + '" points="' + pts + '"/>';
  });
  svg += '</svg>';
  var legend = b.series.map(function (s, i) {
    var last = s.values.length ? s.values[s.values.length - 1] : 0;
    return '<span class="legend s' + (i % 4) + '" data-series="' + esc(s.label) + '">' + esc(s.label) + ' <b>' + esc(fmt(last, 1)) + '</b></span>';
  }).join(' ');
  return '<div class="vchart-wrap">' + svg + '<div class="meta">' + legend + ' <span class="chart-max">max ' + esc(fmt(max, 1)) + ' ' + esc(b.unit) + '</span>' +
    (b.from || b.to ? ' <span class="chart-span">' + esc(b.from) + ' – ' + esc(b.to) + '</span>' : '') + '</div></div>';
}
document.addEventListener('click', function (event) {
  var b = event.target.closest('button.vaction');
  if (!b) return;
  var post, body;
  try { post = JSON.parse(b.dataset.post); body = JSON.parse(b.dataset.body); } catch (e) { return; }
  b.disabled = true;
  api('POST', '/api/views/' + encodeURIComponent(b.dataset.view) + '/' + post.map(encodeURIComponent).join('/'), body).then(function (r) {
    toast(r && typeof r.message === 'string' ? r.message : b.textContent + ': done');
    loadView();
  }, function (e) { b.disabled = false; toast(e.message, true); });
});
window.addEventListener('hashchange', showRoute);
loadViews();
`;
