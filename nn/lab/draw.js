/* valuegrad's drawing script, shared by both labs: the static page (draw.js + lab.js) and the
 * live widget's ES module (draw.js + live.js). Python joins the files as text
 * (nn/lab/assets.py); this one defines a single name, VgDraw, and imports or exports nothing.
 *
 * Every number and every colour it shows comes from Python (nn/lab/content.py), already written
 * as text; the floats it gets only place things (a curve's points, a data point on the plane).
 * It never formats a number, computes a colour or recomputes a value.
 *
 *   VgDraw.el(tag, attrs, parent, text) -> element ("svg:line" makes an SVG element)
 *   VgDraw.button(parent, action, text, title, onclick) -> <button data-action=action>
 *   VgDraw.stepText(texts, k) -> "step k: loss ..., validation loss ..., batch accuracy ..."
 *       from history.text (as shown) or history.exact (on hover)
 *   VgDraw.lossChart(parent, history, {onHover(k)}) -> {update(history), mark(k), svg}
 *       history: content.history_data's dict; log scale (its ticks: history.scale), train and
 *       validation curves; x runs over the steps done, 0 to history.step.length; mark(k)
 *       moves the marker to step k (k = history.step.length: after the last step)
 *   VgDraw.boundary(parent, spec, {onPick(i), onHover(i, pickable)})
 *       -> {drawGrid(b64), setPicked(i), setPickable(indices), canvas, svg}
 *       spec: {grid: {n, bounds, palette}, X, y, Xval, yval, colours (a css colour per class),
 *       pickable (indices into X), axes: {x: {name, ticks}, y: {name, ticks}} (ticks:
 *       [[value, text]]), key: [[css colour, text, "point" | "fill"]]}; i is an index into X
 *   VgDraw.graph(parent, {onHover(text), arith: element})
 *       -> {place(layout), show(sample, bstep, text), zoomIn(), zoomOut(), zoomFit(), zoom()}
 *       layout: content.layout's dict; sample: content.sample_data's dict (v, g: data and grad;
 *       zt: a neuron's z and z.grad; k: a loss step's constants; vx, gx, z: exact, for hover;
 *       c: fills); bstep: backward steps done (-1 none); text: that step's arithmetic, written
 *       into opts.arith. show returns {step, steps, current, name} (current: the box index
 *       of the step, -1 none). The graph is fitted to the width available (zoomFit, at most
 *       twice its size; again when the width changes), or scaled by zoomIn/zoomOut (x1.25)
 *       and scrolled; its box carries data-zoom (the scale).
 */
var VgDraw = (function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, parent, text) {
    var e = tag.indexOf("svg:") === 0 ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function button(parent, action, text, title, onclick) {
    var b = el("button", { type: "button", "class": "vg-btn", "data-action": action, title: title }, parent, text);
    b.addEventListener("click", onclick);
    return b;
  }

  /* "step k: loss ..., validation loss ..., batch accuracy ...", from one set of Python's texts. */
  function stepText(t, k) {
    var text = "step " + k + ": loss " + t.loss[k];
    if (t.val_loss && t.val_loss[k] !== null) text += ", validation loss " + t.val_loss[k];
    if (t.accuracy[k] !== null) text += ", batch accuracy " + t.accuracy[k];
    return text;
  }

  /* ---- the loss chart: log scale, train and validation ------------------------------------ */

  function lossChart(parent, history, opts) {
    var W = 340, H = 210, L = 44, R = 20, T = 8, B = 30;
    opts = opts || {};
    var svg = el("svg:svg", { viewBox: "0 0 " + W + " " + H, "class": "vg-loss" }, parent);
    var h = null, n = 1, lo = 0, hi = 1, marker = null, marked = null;
    var x = function (k) { return L + (W - L - R) * k / n; };
    var y = function (v) {
      var t = (Math.log(Math.max(v, h.scale.lo)) / Math.LN10 - lo) / (hi - lo);
      return H - B - (H - B - T) * Math.min(1, t);
    };

    function draw(history) {
      h = history;
      svg.textContent = "";
      n = Math.max(h.step.length, 1); // steps done: x = n is the model after the last one
      lo = Math.log(h.scale.lo) / Math.LN10;
      hi = Math.log(h.scale.hi) / Math.LN10;
      h.scale.ticks.forEach(function (t) {
        var ty = y(t[0]);
        el("svg:line", { x1: L, y1: ty, x2: W - R, y2: ty, "class": "vg-gridline" }, svg);
        el("svg:text", { x: L - 4, y: ty + 3, "text-anchor": "end", "class": "vg-tick" }, svg, t[1]);
      });
      h.scale.steps.forEach(function (t) {
        el("svg:text", { x: x(t[0]), y: H - B + 13, "text-anchor": "middle", "class": "vg-tick" }, svg, t[1]);
      });
      el("svg:line", { x1: L, y1: H - B, x2: W - R, y2: H - B, "class": "vg-axis" }, svg);
      el("svg:line", { x1: L, y1: T, x2: L, y2: H - B, "class": "vg-axis" }, svg);
      el("svg:text", { x: (L + W - R) / 2, y: H - 3, "text-anchor": "middle", "class": "vg-tick" }, svg, "training step");
      el("svg:text", { x: 10, y: (T + H - B) / 2, "text-anchor": "middle", "class": "vg-tick",
                       transform: "rotate(-90 10 " + (T + H - B) / 2 + ")" }, svg, "loss (log scale)");
      [["loss", "vg-train"], ["val_loss", "vg-val"]].forEach(function (pair) {
        var ys = h[pair[0]];
        if (!ys) return;
        var runs = [[]];
        ys.forEach(function (v, k) {
          if (v === null) { if (runs[runs.length - 1].length) runs.push([]); return; }
          runs[runs.length - 1].push(x(k).toFixed(1) + "," + y(v).toFixed(1));
        });
        runs.forEach(function (pts) {
          if (pts.length) el("svg:polyline", { points: pts.join(" "), "class": pair[1] }, svg);
        });
      });
      el("svg:text", { x: W - R, y: T + 10, "text-anchor": "end", "class": "vg-tick vg-train-label" }, svg, "train");
      if (h.val_loss) el("svg:text", { x: W - R, y: T + 23, "text-anchor": "end", "class": "vg-tick vg-val-label" }, svg, "validation");
      marker = null; // drawn by the first mark(k): a chart that is never marked has none
      if (marked !== null) mark(marked);
    }

    function mark(k) {
      marked = k;
      if (!marker) marker = el("svg:line", { y1: T, y2: H - B, "class": "vg-marker" }, svg);
      marker.setAttribute("x1", x(k));
      marker.setAttribute("x2", x(k));
    }

    svg.addEventListener("mousemove", function (e) {
      if (!opts.onHover) return;
      var r = svg.getBoundingClientRect(), px = (e.clientX - r.left) / r.width * W;
      opts.onHover(Math.max(0, Math.min(h.step.length - 1, Math.round((px - L) / (W - L - R) * n))));
    });
    draw(history);
    return { update: draw, mark: mark, svg: svg };
  }

  /* ---- the decision boundary: the grid, the points, axes and a key ------------------------- */

  function boundary(parent, spec, handlers) {
    var S = 300, L = 40, R = 6, T = 6, B = 34, W = L + S + R, H = T + S + B;
    var g = spec.grid, bnd = g.bounds, on = handlers || {};
    var box = el("div", { "class": "vg-boundary" }, parent);
    var plot = el("div", { "class": "vg-plot", style: "aspect-ratio: " + W + " / " + H }, box);
    var canvas = el("canvas", { width: g.n, height: g.n, style: "left: " + (100 * L / W) + "%; top: " +
      (100 * T / H) + "%; width: " + (100 * S / W) + "%; height: " + (100 * S / H) + "%" }, plot);
    var svg = el("svg:svg", { viewBox: "0 0 " + W + " " + H }, plot);
    var px = function (v) { return L + (v - bnd[0]) / (bnd[1] - bnd[0]) * S; };
    var py = function (v) { return T + (bnd[3] - v) / (bnd[3] - bnd[2]) * S; };
    el("svg:rect", { x: L, y: T, width: S, height: S, "class": "vg-frame" }, svg);
    spec.axes.x.ticks.forEach(function (t) {
      el("svg:line", { x1: px(t[0]), y1: T + S, x2: px(t[0]), y2: T + S + 4, "class": "vg-axis" }, svg);
      el("svg:text", { x: px(t[0]), y: T + S + 14, "text-anchor": "middle", "class": "vg-tick" }, svg, t[1]);
    });
    spec.axes.y.ticks.forEach(function (t) {
      el("svg:line", { x1: L - 4, y1: py(t[0]), x2: L, y2: py(t[0]), "class": "vg-axis" }, svg);
      el("svg:text", { x: L - 6, y: py(t[0]) + 3, "text-anchor": "end", "class": "vg-tick" }, svg, t[1]);
    });
    el("svg:text", { x: L + S / 2, y: H - 4, "text-anchor": "middle", "class": "vg-axis-name" }, svg, spec.axes.x.name);
    el("svg:text", { x: 11, y: T + S / 2, "text-anchor": "middle", "class": "vg-axis-name",
                     transform: "rotate(-90 11 " + (T + S / 2) + ")" }, svg, spec.axes.y.name);
    var colour = function (c) { return "--vg-c: " + spec.colours[c]; };
    spec.Xval.forEach(function (v, i) {
      el("svg:circle", { cx: px(v[0]), cy: py(v[1]), r: 3, "class": "vg-val-pt vg-c" + spec.yval[i],
                         style: colour(spec.yval[i]) }, svg);
    });
    var circles = spec.X.map(function (v, i) {
      var c = el("svg:circle", { cx: px(v[0]), cy: py(v[1]), r: 3, "data-index": i,
                                 style: colour(spec.y[i]), "class": "vg-pt vg-c" + spec.y[i] }, svg);
      c.addEventListener("mouseenter", function () { if (on.onHover) on.onHover(i, pickable[i] === true); });
      c.addEventListener("click", function () { if (pickable[i] === true && on.onPick) on.onPick(i); });
      return c;
    });
    var key = el("div", { "class": "vg-key" }, box);
    spec.key.forEach(function (item) {
      var entry = el("span", { "class": "vg-key-item" }, key);
      el("span", { "class": "vg-swatch vg-swatch-" + item[2], style: "--vg-c: " + item[0] }, entry);
      el("span", {}, entry, item[1]);
    });
    var pickable = {};

    function setPickable(indices) {
      pickable = {};
      indices.forEach(function (i) { pickable[i] = true; });
      circles.forEach(function (c, i) {
        c.setAttribute("r", pickable[i] ? 6 : 3);
        c.classList.toggle("vg-pickable", pickable[i] === true);
      });
    }

    function setPicked(i) {
      circles.forEach(function (c, j) { c.classList.toggle("vg-picked", j === i); });
    }

    function drawGrid(b64) {
      var bin = atob(b64), ctx = canvas.getContext("2d"), img = ctx.createImageData(g.n, g.n);
      for (var i = 0; i < bin.length; i++) {
        var rgb = g.palette[bin.charCodeAt(i)]; // each byte's colour, chosen in Python
        for (var c = 0; c < 3; c++) img.data[4 * i + c] = rgb[c];
        img.data[4 * i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    }

    setPickable(spec.pickable);
    return { drawGrid: drawGrid, setPicked: setPicked, setPickable: setPickable, canvas: canvas, svg: svg };
  }

  /* ---- one sample's graph: boxes filled step by step, zoomable ----------------------------- */

  var ZOOM_STEP = 1.25, ZOOM_MIN = 0.25, ZOOM_MAX = 6, FIT_MAX = 2;

  function graph(parent, opts) {
    opts = opts || {};
    var box = el("div", { "class": "vg-graph" }, parent);
    var lay = null, svg = null, nodes = [], edges = {}, rank = [], sample = null, bstep = -1;
    var natural = [1, 1], scale = 1, fitting = true;

    function place(layout) {
      lay = layout;
      box.innerHTML = layout.svg;
      svg = box.querySelector("svg");
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      var vb = svg.viewBox.baseVal;
      natural = [vb.width * 4 / 3, vb.height * 4 / 3]; // Graphviz's points, as CSS pixels
      nodes = layout.names.map(function (name, n) {
        var g = svg.querySelector("#n" + n);
        g.removeAttribute("id"); // ids would clash between several labs in one notebook
        g.setAttribute("data-name", name);
        g.classList.add("vg-node");
        var texts = g.querySelectorAll("text");
        g.addEventListener("mouseenter", function () { if (opts.onHover) opts.onHover(exact(n)); });
        return { g: g, shape: g.querySelector("polygon, path"), texts: texts, title: g.querySelector("title") };
      });
      edges = {};
      layout.edges.forEach(function (e) {
        var g = svg.querySelector("#e" + e[0] + "_" + e[1]);
        if (g) { g.removeAttribute("id"); (edges[e[0]] = edges[e[0]] || []).push(g); }
      });
      rank = [];
      layout.order.forEach(function (n, r) { rank[n] = r; });
      if (fitting) zoomFit(); else apply();
    }

    function reached(k) { return rank[k] <= bstep; }

    /* A box's exact values, for hover: Python's repr of each. */
    function exact(k) {
      var s = sample, on = reached(k);
      if (!s) return "";
      var t = lay.names[k] + ": data = " + s.vx[k] + ", grad = " + (on ? s.gx[k] : "? (not reached yet)");
      if (s.z[k]) t += "; z = " + s.z[k][0] + (on ? ", z.grad = " + s.z[k][1] : "");
      return t;
    }

    function show(s, b, text) {
      sample = s;
      bstep = Math.max(-1, Math.min(lay.order.length - 1, b));
      var current = bstep >= 0 ? lay.order[bstep] : -1;
      nodes.forEach(function (node, k) {
        var on = reached(k), t = node.texts;
        t[1].textContent = "data " + s.v[k];
        t[2].textContent = "grad " + (on ? s.g[k] : "?");
        if (t[3] && s.zt && s.zt[k]) t[3].textContent = "z " + s.zt[k][0] + ", z.grad " + (on ? s.zt[k][1] : "?");
        else if (t[3] && s.k && s.k[k]) t[3].textContent = s.k[k]; // the values of the label's constants
        // a reached node's fill: its gradient's colour on the scale of the whole graph
        if (node.shape) node.shape.setAttribute("fill", on ? s.c[k] : "white");
        node.g.classList.toggle("vg-pending", !on);
        node.g.classList.toggle("vg-current", k === current);
        if (node.title) node.title.textContent = exact(k);
      });
      Object.keys(edges).forEach(function (from) {
        edges[from].forEach(function (e) { e.classList.toggle("vg-flow", +from === current); });
      });
      if (opts.arith && text !== undefined) opts.arith.textContent = text;
      return { step: bstep, steps: lay.order.length, current: current, name: current >= 0 ? lay.names[current] : null };
    }

    function apply() {
      if (!svg) return;
      svg.style.width = Math.round(natural[0] * scale) + "px";
      svg.style.height = Math.round(natural[1] * scale) + "px";
      box.setAttribute("data-zoom", scale.toFixed(3));
    }

    function zoomFit() {
      fitting = true;
      var width = box.clientWidth - 2;
      scale = width > 0 ? Math.min(FIT_MAX, Math.max(ZOOM_MIN, width / natural[0])) : 1;
      apply();
    }
    function zoomBy(f) {
      fitting = false;
      scale = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, scale * f));
      apply();
    }

    if (typeof ResizeObserver !== "undefined") {
      var seen = 0;
      new ResizeObserver(function () {
        if (fitting && box.clientWidth !== seen) { seen = box.clientWidth; zoomFit(); }
      }).observe(box);
    }

    return {
      place: place, show: show, box: box,
      zoomIn: function () { zoomBy(ZOOM_STEP); },
      zoomOut: function () { zoomBy(1 / ZOOM_STEP); },
      zoomFit: zoomFit,
      zoom: function () { return scale; },
      nodeNames: function () { return lay ? lay.names : []; }
    };
  }

  return { el: el, button: button, stepText: stepText, lossChart: lossChart, boundary: boundary, graph: graph };
})();
