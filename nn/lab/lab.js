/* valuegrad lab: replays a recorded training run and steps through backward node by node.
 *
 * Every number shown here was computed by the Python engine (nn/lab/__init__.py) and shipped
 * in the page as gzip-compressed JSON, already formatted as text (4 significant digits, or
 * the exact value for hover), with every colour (gradient fills, classes, the decision
 * boundary's palette). This script only decodes, places and displays: it never formats a
 * number, computes a colour or recomputes a value, a gradient or a loss. No dependencies,
 * no network, no build step.
 *
 * Mounted by autograd's page base (autograd/viz/page.js), which decodes the data and calls
 * ValuegradLab.build(element, data).
 */
(function () {
  "use strict";
  if (window.ValuegradLab) return; // several labs in one notebook share one copy
  var SVGNS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, parent, text) {
    var e = tag.indexOf("svg:") === 0 ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function Lab(root, data) {
    this.root = root;
    this.d = data;
    this.fi = 0;           // index of the shown frame (a recorded training step)
    this.pi = data.default_point; // index into data.pickable of the shown point
    this.bstep = -1;       // backward steps done for the shown graph (-1: forward only)
    this.layout = -1;      // index of the laid-out graph on screen
    this.timer = null;
    this.build();
    this.showFrame(0);
  }

  Lab.prototype.build = function () {
    var d = this.d, root = this.root, self = this;
    root.textContent = "";
    root.tabIndex = 0;
    el("h2", {}, root, d.title);
    el("p", { "class": "vg-run" }, root, d.run);

    var bar = el("div", { "class": "vg-controls" }, root);
    this.btn(bar, "vg-reset", "reset", "first recorded step", function () { self.pause(); self.showFrame(0); });
    this.btn(bar, "vg-prev", "\u25c0 step", "previous recorded step (shift+left)", function () { self.pause(); self.showFrame(self.fi - 1); });
    this.playBtn = this.btn(bar, "vg-play", "\u25b6 play", "play / pause (space)", function () { self.toggle(); });
    this.btn(bar, "vg-next", "step \u25b6", "next recorded step (shift+right)", function () { self.pause(); self.showFrame(self.fi + 1); });
    this.scrub = el("input", { type: "range", "class": "vg-scrub", min: 0, max: d.frames.length - 1, value: 0, "aria-label": "recorded step" }, bar);
    this.scrub.addEventListener("input", function () { self.pause(); self.showFrame(+self.scrub.value); });
    this.stepReadout = el("span", { "class": "vg-step-readout" }, bar);

    var row = el("div", { "class": "vg-row" }, root);
    var lossPanel = el("div", { "class": "vg-panel" }, row);
    el("h3", {}, lossPanel, "Loss" + (d.history.val_loss ? " (train and validation)" : " (train)"));
    this.buildLoss(lossPanel);
    this.lossReadout = el("p", { "class": "vg-loss-readout vg-readout" }, lossPanel);

    var bPanel = el("div", { "class": "vg-panel" }, row);
    this.pointEls = {};
    if (d.grid) {
      el("h3", {}, bPanel, "Decision boundary: click a ringed point");
      this.buildBoundary(bPanel);
    } else { // inputs that are not 2-D: no plane to draw on; Python's note says so
      el("h3", {}, bPanel, "Data points: pick one");
      el("p", { "class": "vg-boundary-note" }, bPanel, d.boundary_note);
      this.buildPointList(bPanel);
    }
    this.pointReadout = el("p", { "class": "vg-point-readout vg-readout" }, bPanel);

    var gPanel = el("div", { "class": "vg-panel vg-graph-panel" }, root);
    this.graphTitle = el("h3", {}, gPanel);
    var gbar = el("div", { "class": "vg-controls" }, gPanel);
    this.btn(gbar, "vg-bfirst", "forward only", "before backward", function () { self.showBackward(-1); });
    this.btn(gbar, "vg-bprev", "\u25c0 back", "one backward step back (left)", function () { self.showBackward(self.bstep - 1); });
    this.btn(gbar, "vg-bnext", "step \u25b6", "one backward step (right)", function () { self.showBackward(self.bstep + 1); });
    this.btn(gbar, "vg-blast", "all steps", "backward done", function () { self.showBackward(Infinity); });
    this.btn(gbar, "vg-zoom", "zoom", "the graph at full size (scroll it) or fitted", function () {
      self.graphBox.classList.toggle("vg-zoomed");
    });
    this.bReadout = el("span", { "class": "vg-bstep-readout" }, gbar);
    var split = el("div", { "class": "vg-split" }, gPanel);
    this.graphBox = el("div", { "class": "vg-graph" }, split);
    var side = el("div", { "class": "vg-side" }, split);
    this.arith = el("pre", { "class": "vg-arith" }, side);
    this.hover = el("p", { "class": "vg-hover vg-readout" }, side, "Hover a node for its exact values.");

    el("p", { "class": "vg-help" }, root,
      "Keys (click the lab first): space play/pause, \u2190 \u2192 backward step, " +
      "shift+\u2190 \u2192 training step. Colour: red positive grad, blue negative. " +
      "Dashed, grad ?: not reached by backward yet; orange: the current step.");
    var notes = el("ul", { "class": "vg-notes" }, root);
    d.notes.forEach(function (n) { el("li", {}, notes, n); });

    root.addEventListener("keydown", function (e) { self.key(e); });
  };

  Lab.prototype.btn = function (parent, cls, text, title, onclick) {
    var b = el("button", { type: "button", "class": cls, title: title }, parent, text);
    b.addEventListener("click", onclick);
    return b;
  };

  /* ---- training replay ------------------------------------------------------------------ */

  Lab.prototype.toggle = function () { if (this.timer) this.pause(); else this.play(); };
  Lab.prototype.play = function () {
    var self = this;
    if (this.fi >= this.d.frames.length - 1) this.showFrame(0);
    this.playBtn.textContent = "\u275a\u275a pause";
    this.timer = setInterval(function () {
      if (self.fi >= self.d.frames.length - 1) self.pause(); else self.showFrame(self.fi + 1);
    }, 250);
  };
  Lab.prototype.pause = function () {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.playBtn.textContent = "\u25b6 play";
  };

  Lab.prototype.showFrame = function (fi) {
    var d = this.d;
    this.fi = Math.max(0, Math.min(d.frames.length - 1, fi));
    var k = d.frames[this.fi].step, h = d.history;
    this.scrub.value = this.fi;
    this.stepReadout.textContent = "training step " + k + " of " + (h.step.length - 1) +
      " (recorded frame " + (this.fi + 1) + " of " + d.frames.length + ")";
    this.lossReadout.textContent = this.stepText(h.text, k);
    this.lossReadout.title = "exact values: " + this.stepText(h.exact, k);
    this.lossMarker.setAttribute("x1", this.lx(k));
    this.lossMarker.setAttribute("x2", this.lx(k));
    if (d.grid) this.drawGrid();
    this.showGraph();
  };

  /* "step k: loss ..., validation loss ..., batch accuracy ...", from one set of Python's texts. */
  Lab.prototype.stepText = function (t, k) {
    var text = "step " + k + ": loss " + t.loss[k];
    if (t.val_loss && t.val_loss[k] !== null) text += ", validation loss " + t.val_loss[k];
    if (t.accuracy[k] !== null) text += ", batch accuracy " + t.accuracy[k];
    return text;
  };

  /* ---- loss chart ------------------------------------------------------------------------- */

  Lab.prototype.buildLoss = function (parent) {
    var h = this.d.history, W = 400, H = 200, P = 30, self = this;
    var top = h.top, n = Math.max(h.loss.length - 1, 1);
    this.lx = function (k) { return P + (W - P - 5) * k / n; };
    var ly = function (v) { return H - P - (H - P - 5) * v / top; };
    var svg = el("svg:svg", { viewBox: "0 0 " + W + " " + H, "class": "vg-loss" }, parent);
    el("svg:line", { x1: P, y1: H - P, x2: W - 5, y2: H - P, "class": "vg-axis" }, svg);
    el("svg:line", { x1: P, y1: 5, x2: P, y2: H - P, "class": "vg-axis" }, svg);
    el("svg:text", { x: P - 3, y: 12, "text-anchor": "end", "class": "vg-tick" }, svg, h.text.top);
    el("svg:text", { x: P - 3, y: H - P, "text-anchor": "end", "class": "vg-tick" }, svg, "0");
    el("svg:text", { x: W - 5, y: H - P + 14, "text-anchor": "end", "class": "vg-tick" }, svg, "step " + n);
    [["loss", "vg-train"], ["val_loss", "vg-val"]].forEach(function (pair) {
      var ys = h[pair[0]];
      if (!ys) return;
      var pts = [];
      ys.forEach(function (v, k) { if (v !== null) pts.push(self.lx(k) + "," + ly(v)); });
      el("svg:polyline", { points: pts.join(" "), "class": pair[1] }, svg);
    });
    el("svg:text", { x: W - 5, y: 14, "text-anchor": "end", "class": "vg-tick vg-train-label" }, svg, "train");
    if (h.val_loss) el("svg:text", { x: W - 5, y: 28, "text-anchor": "end", "class": "vg-tick vg-val-label" }, svg, "validation");
    this.lossMarker = el("svg:line", { y1: 5, y2: H - P, "class": "vg-marker" }, svg);
    svg.addEventListener("mousemove", function (e) {
      var r = svg.getBoundingClientRect(), x = (e.clientX - r.left) / r.width * W;
      var k = Math.max(0, Math.min(n, Math.round((x - P) / (W - P - 5) * n)));
      self.hover.textContent = self.stepText(h.exact, k);  // hovering: the exact values
    });
  };

  /* ---- decision boundary ------------------------------------------------------------------ */

  Lab.prototype.buildBoundary = function (parent) {
    var d = this.d, g = d.grid, self = this, S = 300;
    var box = el("div", { "class": "vg-boundary" }, parent);
    this.canvas = el("canvas", { width: g.n, height: g.n }, box);
    var svg = el("svg:svg", { viewBox: "0 0 " + S + " " + S }, box);
    var b = g.bounds;
    var px = function (x) { return (x[0] - b[0]) / (b[1] - b[0]) * S; };
    var py = function (x) { return (b[3] - x[1]) / (b[3] - b[2]) * S; };
    var pickable = {};
    d.pickable.forEach(function (i, j) { pickable[i] = j; });
    var colour = function (c) { return "--vg-c: " + d.class_colours[c]; };
    d.Xval.forEach(function (x, i) {
      el("svg:circle", { cx: px(x), cy: py(x), r: 3, "class": "vg-val-pt vg-c" + d.yval[i],
                         style: colour(d.yval[i]) }, svg);
    });
    d.X.forEach(function (x, i) {
      var j = pickable[i], pick = j !== undefined;
      var c = el("svg:circle", {
        cx: px(x), cy: py(x), r: pick ? 6 : 3, "data-index": i, style: colour(d.y[i]),
        "class": "vg-pt vg-c" + d.y[i] + (pick ? " vg-pickable" : "")
      }, svg);
      c.addEventListener("mouseenter", function () {
        self.pointReadout.textContent = self.describe(i) + (pick ? "" : " (not recorded: pick a ringed point)");
      });
      if (pick) {
        self.pointEls[j] = c;
        c.addEventListener("click", function () { self.pick(j); });
      }
    });
  };

  /* Without a boundary: one button per pickable point, in its class's colour. */
  Lab.prototype.buildPointList = function (parent) {
    var d = this.d, self = this;
    var list = el("div", { "class": "vg-point-list" }, parent);
    d.pickable.forEach(function (i, j) {
      var b = self.btn(list, "vg-pick vg-c" + d.y[i], "point " + i + " (class " + d.y[i] + ")",
        self.describe(i), function () { self.pick(j); });
      b.setAttribute("style", "--vg-c: " + d.class_colours[d.y[i]]);
      b.addEventListener("mouseenter", function () { self.pointReadout.textContent = self.describe(i); });
      self.pointEls[j] = b;
    });
  };

  Lab.prototype.describe = function (i) {
    return "point " + i + ": x = " + this.d.Xtext[i] + ", class " + this.d.y[i];
  };

  Lab.prototype.drawGrid = function () {
    var g = this.d.grid, bin = atob(this.d.frames[this.fi].grid);
    var ctx = this.canvas.getContext("2d"), img = ctx.createImageData(g.n, g.n);
    for (var i = 0; i < bin.length; i++) {
      var rgb = g.palette[bin.charCodeAt(i)]; // each byte's colour, chosen in Python
      for (var c = 0; c < 3; c++) img.data[4 * i + c] = rgb[c];
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  };

  Lab.prototype.pick = function (j) {
    this.pi = j;
    this.showGraph();
  };

  /* ---- the graph of the picked point ------------------------------------------------------ */

  Lab.prototype.sample = function () { return this.d.frames[this.fi].samples[this.pi]; };

  Lab.prototype.showGraph = function () {
    var d = this.d, s = this.sample(), i = d.pickable[this.pi], self = this;
    Object.keys(this.pointEls).forEach(function (j) {
      self.pointEls[j].classList.toggle("vg-picked", +j === self.pi);
    });
    if (s.layout !== this.layout) this.placeLayout(s.layout);
    this.graphTitle.textContent = "Point " + i + " (x = " + d.Xfmt[i] + "; class " +
      d.y[i] + "): its own " + d.loss + " loss " + s.loss + " at step " + d.frames[this.fi].step +
      ", one box per neuron";
    this.graphTitle.title = "loss = " + s.lossx;
    this.showBackward(this.bstep);
  };

  Lab.prototype.placeLayout = function (li) {
    var lay = this.d.layouts[li], self = this;
    this.layout = li;
    this.lay = lay;
    this.graphBox.innerHTML = lay.svg;
    var svg = this.graphBox.querySelector("svg");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    this.nodes = lay.names.map(function (name, n) {
      var g = svg.querySelector("#n" + n);
      g.removeAttribute("id"); // ids would clash between several labs in one notebook
      g.setAttribute("data-name", name);
      g.classList.add("vg-node");
      var texts = g.querySelectorAll("text");
      g.addEventListener("mouseenter", function () { self.hoverNode(n); });
      return { g: g, shape: g.querySelector("polygon, path"), data: texts[1], grad: texts[2],
               title: g.querySelector("title") };
    });
    this.edges = {};
    lay.edges.forEach(function (e) {
      var g = svg.querySelector("#e" + e[0] + "_" + e[1]);
      if (g) { g.removeAttribute("id"); (self.edges[e[0]] = self.edges[e[0]] || []).push(g); }
    });
    this.rank = [];
    lay.order.forEach(function (n, r) { self.rank[n] = r; });
    this.bstep = Math.min(this.bstep, lay.order.length - 1);
  };

  Lab.prototype.showBackward = function (b) {
    var s = this.sample(), lay = this.lay, self = this, n = lay.order.length;
    this.bstep = Math.max(-1, Math.min(n - 1, b));
    var current = this.bstep >= 0 ? lay.order[this.bstep] : -1;
    this.nodes.forEach(function (node, k) {
      var reached = self.rank[k] <= self.bstep;
      node.data.textContent = "data " + s.v[k];
      node.grad.textContent = "grad " + (reached ? s.g[k] : "?");
      // a reached node's fill: its gradient's colour on the scale of the whole graph
      if (node.shape) node.shape.setAttribute("fill", reached ? s.c[k] : "white");
      node.g.classList.toggle("vg-pending", !reached);
      node.g.classList.toggle("vg-current", k === current);
      if (node.title) node.title.textContent = self.exact(k, reached);
    });
    Object.keys(this.edges).forEach(function (from) {
      self.edges[from].forEach(function (e) { e.classList.toggle("vg-flow", +from === current); });
    });
    if (current < 0) {
      this.bReadout.textContent = "forward pass done; backward: 0 of " + n + " steps";
      this.arith.textContent = "Every box shows its value (data). Press step \u25b6 (or \u2192) to run " +
        "backward one node at a time, from the loss back to the inputs.";
    } else {
      this.bReadout.textContent = "backward step " + (this.bstep + 1) + " of " + n + ": " + lay.names[current];
      this.arith.textContent = this.d.texts[this.bstep][this.fi * this.d.pickable.length + this.pi];
    }
  };

  Lab.prototype.exact = function (k, reached) {
    var s = this.sample(), t = this.lay.names[k] + ": data = " + s.vx[k] +
      ", grad = " + (reached ? s.gx[k] : "? (not reached yet)");
    if (s.z[k]) t += "; z = " + s.z[k][0] + (reached ? ", z.grad = " + s.z[k][1] : "");
    return t;
  };

  Lab.prototype.hoverNode = function (k) {
    this.hover.textContent = this.exact(k, this.rank[k] <= this.bstep);
  };

  /* ---- keyboard ----------------------------------------------------------------------------- */

  Lab.prototype.key = function (e) {
    if (e.target && e.target.tagName === "INPUT" && e.key !== " ") return; // the slider's own keys
    if (e.key === " ") { this.toggle(); }
    else if (e.key === "ArrowRight" && e.shiftKey) { this.pause(); this.showFrame(this.fi + 1); }
    else if (e.key === "ArrowLeft" && e.shiftKey) { this.pause(); this.showFrame(this.fi - 1); }
    else if (e.key === "ArrowRight") { this.showBackward(this.bstep + 1); }
    else if (e.key === "ArrowLeft") { this.showBackward(this.bstep - 1); }
    else return;
    e.preventDefault();
  };

  function build(root, data) {
    root.lab = new Lab(root, data);
    if (document.querySelectorAll(".vg-lab").length === 1) root.focus({ preventScroll: true });
    return root.lab;
  }

  window.ValuegradLab = { build: build };
})();
