// Stele's pages work without this script; it makes them quicker: local
// times, the event panel and verification without a reload, "Load
// more", live tail, and keyboard shortcuts.
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // Times: the page prints UTC; the title gives local time and how long ago.
  function localTimes(root) {
    const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "long" });
    for (const t of $$("time[datetime]", root)) {
      const d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) continue;
      t.title = fmt.format(d) + " · " + ago(d) + " · " + t.getAttribute("datetime");
    }
  }
  function ago(d) {
    const s = Math.round((Date.now() - d.getTime()) / 1000);
    if (s < 0) return "in the future";
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " days ago";
  }

  async function fetchHTML(url) {
    const resp = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
    const text = await resp.text();
    if (!resp.ok) {
      const doc = new DOMParser().parseFromString(text, "text/html");
      const msg = doc.querySelector("main p");
      throw new Error(msg ? msg.textContent : "The request failed (" + resp.status + ").");
    }
    return text;
  }
  function fragment(html) {
    const t = document.createElement("template");
    t.innerHTML = html;
    return t.content;
  }

  // Filters: presets and selects apply at once; the custom range shows
  // only when chosen.
  const form = $("#filters");
  if (form) {
    const range = $("#range", form), custom = $("#custom", form);
    const sync = () => { if (custom) custom.hidden = range.value !== "custom"; };
    if (range) { sync(); range.addEventListener("change", () => { sync(); if (range.value !== "custom") form.requestSubmit(); }); }
    for (const sel of $$("select:not(#range)", form)) sel.addEventListener("change", () => form.requestSubmit());
    form.addEventListener("submit", () => {
      // Leave empty fields out of the URL, so that shared links stay short.
      for (const el of $$("input, select", form)) if (!el.value) el.disabled = true;
      if (range && range.value !== "custom") for (const el of $$("input", custom)) el.disabled = true;
    });
  }

  // The histogram's axis labels, placed under their bars.
  for (const ticks of $$(".ticks")) {
    for (const s of $$("span[data-x]", ticks)) s.style.left = s.dataset.x + "%";
    ticks.classList.add("placed");
  }

  // The event panel.
  const table = $("#events"), aside = $("#detail"), split = $(".split");
  async function openEvent(tr, push) {
    if (!aside) { location.href = tr.dataset.open; return; }
    for (const r of $$("tr.selected", table)) r.classList.remove("selected");
    tr.classList.add("selected");
    try {
      const html = await fetchHTML(tr.dataset.part);
      aside.replaceChildren(fragment(html));
      aside.hidden = false;
      split.classList.add("open");
      localTimes(aside);
      if (push) history.pushState({ seq: tr.dataset.seq }, "", tr.dataset.open);
      const h = $("h2", aside);
      if (h) { h.tabIndex = -1; h.focus({ preventScroll: window.innerWidth > 900 }); }
    } catch (e) {
      location.href = tr.dataset.open;
    }
  }
  function closeEvent(href) {
    if (!aside || aside.hidden) return;
    aside.hidden = true;
    aside.replaceChildren();
    split.classList.remove("open");
    const sel = $("tr.selected", table);
    if (sel) { sel.classList.remove("selected"); sel.focus(); }
    if (href) history.pushState({}, "", href);
  }
  if (table) {
    table.addEventListener("click", (ev) => {
      if (ev.target.closest("a:not(.open), button")) return; // filter links go on
      const tr = ev.target.closest("tbody tr");
      if (!tr || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
      ev.preventDefault();
      openEvent(tr, true);
    });
    table.addEventListener("keydown", (ev) => {
      const tr = ev.target.closest("tbody tr");
      if (tr && ev.key === "Enter" && ev.target === tr) { ev.preventDefault(); openEvent(tr, true); }
    });
  }
  // A page opened with an event's panel marks its row.
  const shown = aside && $(".detail[data-seq]", aside);
  if (shown && table) {
    const tr = $(`tbody tr[data-seq="${shown.dataset.seq}"]`, table);
    if (tr) tr.classList.add("selected");
  }
  document.addEventListener("click", async (ev) => {
    const close = ev.target.closest("#detail .close");
    if (close) { ev.preventDefault(); closeEvent(close.href); return; }
    const v = ev.target.closest("a[data-verify]");
    if (v) {
      ev.preventDefault();
      const out = $(".verify-result", v.closest("section") || document);
      out.textContent = "Verifying…";
      try {
        out.replaceChildren(fragment(await fetchHTML(v.href + (v.href.includes("?") ? "&" : "?") + "part=1")));
      } catch (e) { out.textContent = e.message; }
      return;
    }
    const copy = ev.target.closest("[data-copy], [data-copy-from]");
    if (copy) {
      const src = copy.dataset.copyFrom ? document.getElementById(copy.dataset.copyFrom) : $("pre", copy.parentElement);
      try { await navigator.clipboard.writeText(src.textContent); copy.textContent = "Copied"; } catch (e) { copy.textContent = "Copy failed"; }
    }
  });
  window.addEventListener("popstate", () => location.reload());

  // Load more: the next page's rows under these, no reload.
  document.addEventListener("click", async (ev) => {
    const more = ev.target.closest("#more");
    if (!more || !table) return;
    ev.preventDefault();
    more.textContent = "Loading…";
    try {
      const doc = new DOMParser().parseFromString(await fetchHTML(more.href), "text/html");
      const rows = $$("#events tbody tr", doc);
      const body = $("tbody", table);
      for (const r of rows) body.appendChild(document.adoptNode(r));
      localTimes(table);
      const next = $("#more", doc);
      if (next) { more.href = next.href; more.textContent = "Load more"; }
      else { more.parentElement.textContent = "The end of the results."; }
      const status = $("#status");
      if (status) status.textContent = "Showing " + $$("tbody tr", table).length + " events" + (next ? " (more below)." : ".");
    } catch (e) { more.textContent = "Load more (failed: try again)"; }
  });

  // Live tail: new matching events on top, while this tab is visible.
  const live = $("#live"), note = $("#live-note");
  if (live && table && !location.search.includes("cursor=") && !location.search.includes("range=custom")) {
    live.hidden = false;
    let es = null, held = [], stopTimer = null;
    const newest = () => Math.max(-1, ...$$("tbody tr", table).map((r) => Number(r.dataset.seq) || -1));
    const insert = (tr) => { const body = $("tbody", table); body.insertBefore(tr, body.firstChild); tr.classList.add("fresh"); localTimes(tr); };
    const flush = () => { for (const tr of held.reverse()) insert(tr); held = []; note.textContent = ""; };
    const start = () => {
      const after = newest();
      es = new EventSource(live.dataset.src + (live.dataset.src.includes("?") ? "&" : "?") + "after=" + after);
      es.addEventListener("row", (m) => {
        const tr = fragment(m.data).firstElementChild;
        if (!tr || $(`tbody tr[data-seq="${tr.dataset.seq}"]`, table)) return;
        if (window.scrollY < 120) { insert(tr); note.textContent = "Live: new events appear on top."; }
        else { held.push(tr); note.innerHTML = ""; const b = document.createElement("button"); b.type = "button"; b.className = "link"; b.textContent = held.length + " new — show"; b.onclick = () => { flush(); window.scrollTo(0, 0); }; note.append(b); }
      });
      es.onerror = () => { note.textContent = "Live tail: reconnecting…"; };
      es.onopen = () => { note.textContent = "Live: new events appear on top."; };
    };
    const stop = (why) => { if (es) es.close(); es = null; clearTimeout(stopTimer); live.setAttribute("aria-pressed", "false"); note.textContent = why || ""; };
    live.addEventListener("click", () => {
      if (es) { stop("Live tail paused."); return; }
      live.setAttribute("aria-pressed", "true");
      start();
      stopTimer = setTimeout(() => stop("Live tail paused after 10 minutes."), 10 * 60 * 1000);
    });
    document.addEventListener("visibilitychange", () => {
      if (live.getAttribute("aria-pressed") !== "true") return;
      if (document.hidden && es) { es.close(); es = null; }
      else if (!document.hidden && !es) start();
    });
  }

  // Forms that destroy something ask first.
  document.addEventListener("submit", (ev) => {
    const msg = ev.target.dataset && ev.target.dataset.confirm;
    if (msg && !confirm(msg)) ev.preventDefault();
  });

  // Keyboard: / search, j/k move, Enter open, Esc close, ? help.
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const typing = ev.target.closest("input, select, textarea, [contenteditable]");
    if (ev.key === "Escape") { if (typing) return; closeEvent($("#detail .close") && $("#detail .close").href); const kh = $("#keys-help"); if (kh) kh.hidden = true; return; }
    if (typing) return;
    if (ev.key === "/") { const q = $("#q"); if (q) { ev.preventDefault(); q.focus(); q.select(); } return; }
    if (ev.key === "?") { const kh = $("#keys-help"); if (kh) kh.hidden = !kh.hidden; return; }
    if ((ev.key === "j" || ev.key === "k") && table) {
      const rows = $$("tbody tr", table);
      if (!rows.length) return;
      const cur = rows.indexOf(document.activeElement.closest("tr")), sel = rows.indexOf($("tr.selected", table));
      const at = cur >= 0 ? cur : sel;
      const next = rows[Math.min(rows.length - 1, Math.max(0, at + (ev.key === "j" ? 1 : -1)))] || rows[0];
      next.focus();
      if (aside && !aside.hidden) openEvent(next, false);
    }
  });

  localTimes(document);
})();
