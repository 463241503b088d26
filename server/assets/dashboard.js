// The dashboard's live part: load a small resource from every scenario's
// HTTPS port, record whether this browser connected or refused next to
// what it is expected to do, and follow the server's connection traces.
"use strict";

const CHECK_TIMEOUT_MS = 8000; // stalls and drips count as refused

function setResult(tile, result) {
  const expect = tile.dataset.browserExpect;
  tile.dataset.browserResult = result;
  if (expect === "none") {
    tile.dataset.verdict = "untested";
  } else {
    const connected = result === "connected";
    tile.dataset.verdict =
      connected === (expect === "connect") ? "expected" : "unexpected";
  }
  tile.querySelector(".result").textContent =
    result === "connected" ? "connected" : "refused (" + result + ")";
  if (result !== "connected") tile.dataset.browserResult = "refused";
}

async function check(tile) {
  const url = "https://" + tile.dataset.host + ":" + tile.dataset.port +
    "/shakedown-probe";
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), CHECK_TIMEOUT_MS);
  try {
    await fetch(url, { mode: "cors", cache: "no-store", signal: abort.signal });
    setResult(tile, "connected");
  } catch (e) {
    setResult(tile, abort.signal.aborted ? "timed out" : "network error");
  } finally {
    clearTimeout(timer);
  }
}

function summarise(done) {
  const judged = [...document.querySelectorAll(".tile")]
    .filter((t) => t.dataset.verdict === "expected" ||
                   t.dataset.verdict === "unexpected");
  const good = judged.filter((t) => t.dataset.verdict === "expected").length;
  const summary = document.getElementById("summary");
  summary.dataset.expected = String(good);
  summary.dataset.checked = String(judged.length);
  summary.dataset.done = done ? "true" : "false";
  summary.textContent = good + " of " + judged.length +
    " behave as expected in this browser" + (done ? "" : " (checking…)");
}

async function checkAll() {
  const tiles = [...document.querySelectorAll(".tile")]
    .filter((t) => t.dataset.available === "true");
  await Promise.all(tiles.map((t) => check(t).then(() => summarise(false))));
  summarise(true);
}

// The scoreboard: every verdict carries the server's grade of that
// connection (PASS, FAIL, INFO: what shakedown watch shows), and the tile
// keeps the last one.
function score(tile, e) {
  const p = tile.querySelector(".score");
  if (!p || !e.grade) return;
  p.dataset.grade = e.grade;
  p.querySelector(".grade").textContent = e.grade;
  p.querySelector(".why").textContent = e.grade_why || "";
  const count = (g) =>
    document.querySelectorAll('.score[data-grade="' + g + '"]').length;
  const board = document.getElementById("scoreboard");
  const [pass, fail, info] = ["PASS", "FAIL", "INFO"].map(count);
  board.dataset.pass = String(pass);
  board.dataset.fail = String(fail);
  board.dataset.info = String(info);
  board.textContent = "Scoreboard of the last connection to each scenario: " +
    pass + " PASS, " + fail + " FAIL, " + info + " INFO.";
}

// The live stream. A network error makes the browser reconnect by itself;
// a refusal (the server already serves its --dashboard-max-streams) closes
// the EventSource for good, so the page asks why and tries again later.
function follow() {
  const list = document.getElementById("events");
  const status = document.getElementById("stream");
  const show = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };
  const source = new EventSource("/events");
  source.onopen = () => show("open", "Following the live stream.");
  source.onerror = async () => {
    if (source.readyState !== EventSource.CLOSED) {
      show("connecting", "The live stream was interrupted: reconnecting…");
      return;
    }
    let wait = 5;
    let why = "The live stream is unavailable";
    try {
      const r = await fetch("/events", { method: "HEAD", cache: "no-store" });
      if (r.status === 503) {
        wait = parseInt(r.headers.get("Retry-After") || "5", 10) || 5;
        why = "The live stream is full (the server's --dashboard-max-streams)";
      }
    } catch (_) { /* the server is gone: try again all the same */ }
    show("refused", why + ": trying again in " + wait + " s.");
    setTimeout(follow, wait * 1000);
  };
  source.addEventListener("lost", (m) => {
    let n = 0;
    try { n = JSON.parse(m.data).lost; } catch (_) { return; }
    const item = document.createElement("li");
    item.className = "lost";
    item.textContent = n + " events were too many to stream and were dropped";
    list.prepend(item);
  });
  source.onmessage = (m) => {
    let e;
    try { e = JSON.parse(m.data); } catch (_) { return; }
    const item = document.createElement("li");
    const head = document.createElement("span");
    head.className = "ev";
    head.textContent = (e.scenario ? e.scenario + " #" + e.id + " " : "") +
      e.event + ": ";
    item.append(head, document.createTextNode(e.msg || ""));
    list.prepend(item);
    while (list.children.length > 300) list.lastChild.remove();
    const tile = document.querySelector(
      '.tile[data-scenario="' + CSS.escape(e.scenario || "") + '"]');
    if (tile && e.event === "verdict") {
      score(tile, e);
      tile.classList.add("flash");
      setTimeout(() => tile.classList.remove("flash"), 1500);
    }
  };
}

follow();
checkAll();
