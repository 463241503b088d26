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

function follow() {
  const list = document.getElementById("events");
  const source = new EventSource("/events");
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
      tile.classList.add("flash");
      setTimeout(() => tile.classList.remove("flash"), 1500);
    }
  };
}

follow();
checkAll();
