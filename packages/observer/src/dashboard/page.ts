import { nodesScript } from './nodes-script.js';
import { script } from './script.js';
import { style } from './style.js';
import { viewsScript } from './views-script.js';

/**
 * The whole dashboard as one HTML document (style and script inline: nothing else to
 * serve). It is the page shell served without the token, so it holds no data about the
 * node, not even its number: the script reads everything through the API.
 */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>actorkit observer</title>
<style>${style}</style>
</head>
<body>
<header><h1>actorkit observer</h1><span class="node" id="node"></span><select id="node-picker" aria-label="node" hidden></select><nav id="tabs"></nav><span id="conn">connecting…</span></header>
<main id="node-main">
  <section id="nodes" hidden><h2>Nodes</h2><div class="table-wrap"><table><thead><tr><th>Node</th><th class="num">Processes</th><th class="num">Queued</th><th class="num">Messages / s</th><th class="num">Heap used</th><th class="num">Event-loop lag</th><th></th></tr></thead><tbody id="nodes-body"></tbody></table></div></section>
  <div id="cards"></div>
  <div>
    <section><h2>Supervision tree</h2><div id="tree"></div></section>
    <section style="margin-top:16px"><h2>Supervisor events</h2><div id="events"></div></section>
  </div>
  <section>
    <h2>Processes <span class="count" id="procs-count"></span>
      <span class="tools">
        <select id="behaviour" aria-label="behaviour">
          <option value="">all behaviours</option><option>supervisor</option><option>dynamic_supervisor</option>
          <option>gen_server</option><option>state_machine</option><option>task</option><option>process</option><option>handler</option>
        </select>
        <input id="filter" type="search" placeholder="filter: pid, name, module…" aria-label="filter">
      </span>
    </h2>
    <div class="table-wrap"><table id="procs"><thead id="procs-head"></thead><tbody id="procs-body"></tbody></table></div>
  </section>
</main>
<div id="view" hidden><div id="view-page"></div></div>
<aside id="detail"><header><h1 id="detail-title"></h1><button id="detail-close" style="margin-left:auto">close</button></header><div class="body" id="detail-body"></div></aside>
<div id="toast"></div>
<script>${script}${viewsScript}${nodesScript}</script>
</body>
</html>`;
}
