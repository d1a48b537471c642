/*
 * Attention Atlas, browser side: stepping, playing and small control chores.
 * Everything here works on figures the server already sent, so stepping and playing
 * through the six steps never sends a request. Ids match dashapp/ids.py (a test checks).
 */
/* [main figure, extra figure, extra figure's style, status] of one step. */
function stepView(step, main, detail, texts) {
  const id = texts[step - 1].id;
  const fresh = detail && main && detail.key === main.key;
  const figures = (main.steps[id] || []).concat(fresh ? (detail.steps[id] || []) : []);
  const blank = {data: [], layout: {height: 40, xaxis: {visible: false}, yaxis: {visible: false}}};
  return [figures[0] || blank, figures[1] || blank, figures[1] ? {} : {display: "none"},
          !fresh && id !== "attention" ? "Drawing this step for the new settings…" : ""];
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  atlas: {
    /* Pick the current step's figures and texts out of the stores. The detail store is only
       read here (State), so the attention step is drawn as soon as the main update lands,
       without waiting for the other steps' larger response; renderDetail follows it. */
    renderStep: function (step, main, detail, texts) {
      const lesson = texts[step - 1];
      const view = stepView(step, main, detail, texts);
      return [
        "Step " + lesson.number + " of " + texts.length + " · " + lesson.title,
        lesson.plain,
        lesson.math,
        main.shapes[lesson.id],
      ].concat(view);
    },

    /* The other steps' figures arrived: redraw what the current step shows from them. */
    renderDetail: function (detail, step, main, texts) {
      const view = stepView(step, main, detail, texts);
      if (texts[step - 1].id === "attention") view[0] = window.dash_clientside.no_update;
      return view;
    },

    /* Prev, Next, Play/Pause and the ticker all move the one step slider. */
    navigate: function (prevClicks, nextClicks, playClicks, ticks, step, loop, paused) {
      const last = 6;
      const PLAY = "▶ Play", PAUSE = "❚❚ Pause";
      const triggered = (dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
      const source = triggered.split(".")[0];
      if (source === "prev") return [Math.max(1, step - 1), true, PLAY];
      if (source === "next") return [Math.min(last, step + 1), true, PLAY];
      if (source === "play") {
        if (!paused) return [step, true, PLAY];
        return [step >= last ? 1 : step, false, PAUSE];
      }
      if (source === "ticker" && !paused) {
        if (step < last) return [step + 1, false, PAUSE];
        if (loop) return [1, false, PAUSE];
        return [last, true, PLAY];
      }
      return [step, paused, paused ? PLAY : PAUSE];
    },

    /* A click on an attention map: which head (from the trace's meta; null = the average)
       and which query and key (from the "token #i" labels). */
    pickCell: function (click, figure) {
      const point = click && click.points && click.points[0];
      const trace = point && figure && figure.data[point.curveNumber];
      const meta = trace && trace.meta;
      const index = function (label) { return parseInt(String(label).split("#").pop(), 10); };
      if (!point || typeof point.x !== "string") return window.dash_clientside.no_update;
      return {head: meta && "head" in meta ? meta.head : null, query: index(point.y), key: index(point.x),
              valid: !!(meta && "head" in meta)};
    },

    /* A click on the model view's thumbnail grid: which layer, and which head (or average). */
    pickMap: function (click, figure) {
      const point = click && click.points && click.points[0];
      const meta = figure && figure.layout && figure.layout.meta;
      if (!point || !meta) return window.dash_clientside.no_update;
      const row = Math.floor(point.y / meta.step), col = Math.floor(point.x / meta.step);
      if (row * meta.cols + col >= meta.count) return window.dash_clientside.no_update;
      return {layer: row, head: col === meta.cols - 1 ? null : col};
    },

    speed: function (value) {
      const ms = parseInt(value, 10);
      return ms > 0 ? ms : 1200;
    },

    /* Offer only d_model values the heads divide; keep the nearest one selected. */
    dModelChoices: function (nHeads, dModel, choices) {
      const heads = parseInt(nHeads, 10) || 1;
      const valid = choices.filter(function (c) { return c % heads === 0; });
      const current = parseInt(dModel, 10) || 64;
      let best = valid[0];
      valid.forEach(function (c) {
        if (Math.abs(c - current) < Math.abs(best - current)) best = c;
      });
      return [valid.map(function (c) { return {label: String(c), value: String(c)}; }), String(best)];
    },

    /* Text for words and numbers, a token count for random vectors; PAD keys only with padding. */
    modeFields: function (mode, mask) {
      const random = mode === "random";
      return [random ? {display: "none"} : {}, random ? {} : {display: "none"},
              !(mask || "").includes("padding")];
    },

    /* The address bar names what the page shows: the last valid settings and the step, in the
       names and format of dashapp/share.py (query_of). replaceState, so stepping adds no history
       entries; dcc.Location gets the same search and href, finds the address already equal and
       pushes nothing (given only search, it pushes back the href it read when it mounted). */
    writeLink: function (settings, step) {
      const no = window.dash_clientside.no_update;
      if (!settings) return [no, no];
      const names = ["mode", "text", "seq_len", "d_model", "n_heads", "seed", "mask", "n_pad",
                     "positional", "scale"];
      const query = new URLSearchParams();
      names.forEach(function (name) {
        const value = settings[name];
        query.set(name, typeof value === "boolean" ? (value ? "1" : "0") : String(value));
      });
      query.set("step", String(step));
      const search = "?" + query.toString();
      if (window.location.search !== search) {
        window.history.replaceState(window.history.state, "",
                                    window.location.pathname + search + window.location.hash);
      }
      return [search, window.location.href];
    },

    /* Put the page's address on the clipboard; say so for a few seconds. */
    copyLink: function () {
      const href = window.location.href;
      const atlas = window.dash_clientside.atlas;
      const say = function (text) {
        clearTimeout(atlas.copyTimer);
        atlas.copyTimer = setTimeout(function () {
          window.dash_clientside.set_props("copy-status", {children: ""});
        }, 4000);
        return text;
      };
      const fallback = function () {  // plain http on a LAN address has no navigator.clipboard
        const box = document.createElement("textarea");
        box.value = href;
        box.style.position = "fixed";
        box.style.opacity = "0";
        document.body.appendChild(box);
        box.select();
        let copied = false;
        try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
        document.body.removeChild(box);
        return say(copied ? "✓ Link copied" : "Copy the address bar to share this view");
      };
      if (navigator.clipboard && window.isSecureContext) {
        return navigator.clipboard.writeText(href).then(function () { return say("✓ Link copied"); },
                                                        fallback);
      }
      return fallback();
    },

    /* A file name stem naming the settings: the same as exportStem in dashapp/export.py. */
    exportStem: function (s) {
      const parts = ["atlas", s.mode === "random" ? "random" + s.seq_len : s.mode,
                     "d" + s.d_model, "h" + s.n_heads, s.mask.replace("+", "-")];
      if (s.mask.includes("padding")) parts.push("pad" + s.n_pad);
      parts.push("seed" + s.seed);
      if (!s.positional) parts.push("nopos");
      if (!s.scale) parts.push("noscale");
      return parts.join("_");
    },

    /* A PNG or SVG button under a figure: Plotly draws the file in the browser, named after
       the settings and what the figure shows (the step, or the inspected array and head). */
    downloadFigure: function (clicks, step, texts, settings, inspected) {
      const no = window.dash_clientside.no_update;
      const which = window.dash_clientside.callback_context.triggered_id;
      const box = which && document.getElementById(which.graph);
      const graph = box && box.querySelector(".js-plotly-plot");
      if (!graph || !settings || !window.Plotly) return no;
      let what = inspected;
      if (which.graph === "inspect-graph") {
        const titles = (graph.layout.annotations || []).map(function (a) { return a.text; });
        const head = /head (\d+)/.exec(titles.join(" "));
        if (head) what += "-head" + head[1];
      } else {
        const lesson = texts[step - 1];
        what = "step" + lesson.number + "-" + lesson.id + (which.graph === "graph-extra" ? "-2" : "");
      }
      const filename = window.dash_clientside.atlas.exportStem(settings) + "_" + what;
      return window.Plotly.downloadImage(graph, {format: which.format, filename: filename,
                                                 scale: which.format === "png" ? 2 : 1})
        .then(function () { return filename + "." + which.format; });
    },
  },
});
