/** The live balances page: a table that Server-Sent Events keep up to date, no reload. */
export const pageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>actorkit · live balances</title>
<style>
  body { font: 15px system-ui, sans-serif; margin: 2rem; color: #222; }
  table { border-collapse: collapse; min-width: 36rem; }
  th, td { padding: .35rem .8rem; border-bottom: 1px solid #ddd; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  tr.flash td { background: #fff6c8; }
  #status { color: #666; }
</style>
</head>
<body>
<h1>Live balances</h1>
<p id="status">connecting…</p>
<table>
  <thead><tr><th>user</th><th>BTC</th><th>price (USD)</th><th>value (USD)</th><th>syncs</th><th>failures</th><th>last sync</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<p>Updates received: <span id="updates">0</span></p>
<script>
  const rows = document.getElementById('rows');
  const counter = document.getElementById('updates');
  const status = document.getElementById('status');
  let updates = 0;
  const events = new EventSource('/events');
  events.onopen = () => { status.textContent = 'live'; };
  events.onerror = () => { status.textContent = 'reconnecting…'; };
  events.onmessage = (event) => {
    const u = JSON.parse(event.data);
    let row = document.getElementById('user-' + u.userId);
    if (!row) {
      row = document.createElement('tr');
      row.id = 'user-' + u.userId;
      for (let i = 0; i < 7; i++) row.appendChild(document.createElement('td'));
      rows.appendChild(row);
    }
    const b = u.balance;
    const cells = [u.userId, b ? b.amount.toFixed(6) : '…', b ? b.price.toFixed(2) : '…',
      b ? b.usd.toFixed(2) : '…', u.runs, u.failures, new Date(u.at).toLocaleTimeString()];
    cells.forEach((text, i) => { row.children[i].textContent = String(text); });
    row.children[3].className = 'usd';
    row.classList.add('flash');
    setTimeout(() => row.classList.remove('flash'), 300);
    counter.textContent = String(++updates);
  };
</script>
</body>
</html>
`;
