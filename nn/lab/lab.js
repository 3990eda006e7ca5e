/* valuegrad lab: replays a recorded training run and steps through backward node by node.
 *
 * Every number shown here was computed by the Python engine (nn/lab/__init__.py) and shipped
 * in the page as gzip-compressed JSON, already formatted as text (4 significant digits, or
 * the exact value for hover), with every colour (gradient fills, classes, the decision
 * boundary's palette). This script only decodes, places and displays: it never formats a
 * number, computes a colour or recomputes a value, a gradient or a loss. No dependencies,
 * no network, no build step. The drawing itself is draw.js's (VgDraw), joined before this file.
 *
 * Mounted by autograd's page base (autograd/viz/page.js), which decodes the data and calls
 * ValuegradLab.build(element, data).
 */
(function () {
  "use strict";
  if (window.ValuegradLab) return; // several labs in one notebook share one copy
  var el = VgDraw.el, button = VgDraw.button;

  function Lab(root, data) {
    this.root = root;
    this.d = data;
    this.fi = 0;           // index of the shown frame (a recorded training step)
    this.pi = data.default_point; // index into data.pickable of the shown point
    this.bstep = -1;       // backward steps done for the shown graph (-1: none)
    this.layout = -1;      // index of the laid-out graph on screen
    this.timer = null;
    this.build();
    this.showFrame(0);
  }

  Lab.prototype.build = function () {
    var d = this.d, root = this.root, self = this;
    root.textContent = "";
    root.tabIndex = 0;
    var head = el("div", { "class": "vg-head" }, root);
    el("h2", {}, head, d.title);
    el("span", { "class": "vg-run" }, head, d.run);

    var bar = el("div", { "class": "vg-controls" }, root);
    button(bar, "train-first", "|\u25c0 first", "the first recorded step", function () { self.pause(); self.showFrame(0); });
    button(bar, "train-back", "\u25c0 train step", "the previous recorded training step (shift+\u2190)", function () { self.pause(); self.showFrame(self.fi - 1); });
    this.playBtn = button(bar, "play", "\u25b6 play", "play / pause the training replay (space)", function () { self.toggle(); });
    button(bar, "train-step", "train step \u25b6", "the next recorded training step (shift+\u2192)", function () { self.pause(); self.showFrame(self.fi + 1); });
    this.scrub = el("input", { type: "range", "class": "vg-scrub", min: 0, max: d.frames.length - 1, value: 0, "aria-label": "recorded step" }, bar);
    this.scrub.addEventListener("input", function () { self.pause(); self.showFrame(+self.scrub.value); });
    this.stepReadout = el("span", { "class": "vg-step-readout", "data-readout": "step" }, bar);

    var row = el("div", { "class": "vg-row" }, root);
    var bPanel = el("div", { "class": "vg-panel vg-boundary-panel" }, row);
    if (d.grid) {
      el("h3", {}, bPanel, "Decision boundary: click a ringed point");
      this.plane = VgDraw.boundary(bPanel, {
        grid: d.grid, X: d.X, y: d.y, Xval: d.Xval, yval: d.yval, colours: d.class_colours,
        pickable: d.pickable, axes: d.axes, key: d.key
      }, {
        onPick: function (i) { self.pick(d.pickable.indexOf(i)); },
        onHover: function (i, pick) {
          self.hover.textContent = self.describe(i) + (pick ? "" : " (not recorded: pick a ringed point)");
        }
      });
    } else { // inputs that are not 2-D: no plane to draw on; Python's note says so
      el("h3", {}, bPanel, "Data points: pick one");
      el("p", { "class": "vg-boundary-note" }, bPanel, d.boundary_note);
      this.buildPointList(bPanel);
    }

    var lossPanel = el("div", { "class": "vg-panel vg-loss-panel" }, row);
    el("h3", {}, lossPanel, "Loss" + (d.history.val_loss ? " (train and validation)" : " (train)"));
    this.chart = VgDraw.lossChart(lossPanel, d.history, {
      onHover: function (k) { self.hover.textContent = VgDraw.stepText(d.history.exact, k); }
    });
    this.lossReadout = el("p", { "class": "vg-loss-readout vg-readout", "data-readout": "loss" }, lossPanel);
    this.hover = el("p", { "class": "vg-hover vg-readout", "data-readout": "hover" }, lossPanel,
      "Hover a point, a box or the loss curve for its exact values.");

    var back = el("div", { "class": "vg-panel vg-backward-panel" }, row);
    this.graphTitle = el("h3", { "data-readout": "point" }, back);
    this.zeroNote = el("p", { "class": "vg-zero-note", hidden: "" }, back);
    var bbar = el("div", { "class": "vg-controls" }, back);
    button(bbar, "backward-clear", "undo backward", "undo every backward step: the forward pass only (home)", function () { self.showBackward(-1); });
    button(bbar, "backward-back", "\u25c0 back", "undo one backward step (\u2190)", function () { self.showBackward(self.bstep - 1); });
    button(bbar, "backward-step", "backward step \u25b6", "one backward step (\u2192)", function () { self.showBackward(self.bstep + 1); });
    button(bbar, "backward-all", "all steps", "backward to the end (end)", function () { self.showBackward(Infinity); });
    this.bReadout = el("div", { "class": "vg-bstep-readout", "data-readout": "backward" }, back);
    this.arith = el("pre", { "class": "vg-arith", "data-readout": "arithmetic" }, back);

    var gPanel = el("div", { "class": "vg-panel vg-graph-panel" }, root);
    var gbar = el("div", { "class": "vg-controls" }, gPanel);
    el("h3", {}, gbar, "The picked point's graph: one box per neuron (its weights and bias folded in) " +
      "and per step of its loss");
    var zbar = el("span", { "class": "vg-zoom-bar" }, gbar);
    button(zbar, "zoom-out", "\u2212", "zoom out (-)", function () { self.graph.zoomOut(); });
    button(zbar, "zoom-fit", "fit", "fit the graph to the width (0)", function () { self.graph.zoomFit(); });
    button(zbar, "zoom-in", "+", "zoom in (+)", function () { self.graph.zoomIn(); });
    this.graph = VgDraw.graph(gPanel, {
      arith: this.arith,
      onHover: function (text) { self.hover.textContent = text; }
    });

    el("p", { "class": "vg-help" }, root,
      "Keys (click the lab first): space play / pause; shift+\u2190 \u2192 train step; " +
      "\u2190 \u2192 backward step (back / forward); home undo backward; end all steps; " +
      "+ \u2212 0 zoom in / out / fit. Dashed, grad ?: not reached by backward yet; " +
      "orange outline: the current backward step.");
    var notes = el("ul", { "class": "vg-notes" }, root);
    d.notes.forEach(function (n) { el("li", {}, notes, n); });

    root.addEventListener("keydown", function (e) { self.key(e); });
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
    var d = this.d, h = d.history;
    this.fi = Math.max(0, Math.min(d.frames.length - 1, fi));
    var frame = d.frames[this.fi], k = frame.step;
    this.scrub.value = this.fi;
    this.stepReadout.textContent = frame.label + " (recorded frame " + (this.fi + 1) + " of " + d.frames.length + ")";
    this.stepReadout.setAttribute("data-step", k);
    var readout = frame.readout; // the trained model's, after the last step; else the history's
    this.lossReadout.textContent = readout ? readout.text : VgDraw.stepText(h.text, k);
    this.lossReadout.title = "exact values: " + (readout ? readout.title : VgDraw.stepText(h.exact, k));
    this.lossReadout.setAttribute("data-exact", readout ? readout.lossx : h.exact.loss[k]);
    this.chart.mark(k);
    if (this.plane) this.plane.drawGrid(frame.grid);
    this.showGraph();
  };

  /* Without a boundary: one button per pickable point, in its class's colour. */
  Lab.prototype.buildPointList = function (parent) {
    var d = this.d, self = this;
    var list = el("div", { "class": "vg-point-list" }, parent);
    this.pointButtons = d.pickable.map(function (i, j) {
      var b = el("button", { type: "button", "class": "vg-pick vg-c" + d.y[i], "data-index": i,
                             title: self.describe(i), style: "--vg-c: " + d.class_colours[d.y[i]] },
                 list, "point " + i + " (class " + d.y[i] + ")");
      b.addEventListener("click", function () { self.pick(j); });
      b.addEventListener("mouseenter", function () { self.hover.textContent = self.describe(i); });
      return b;
    });
  };

  Lab.prototype.describe = function (i) {
    return "point " + i + ": " + this.d.Xtext[i] + ", class " + this.d.y[i];
  };

  Lab.prototype.pick = function (j) {
    if (j < 0) return;
    this.pi = j;
    this.showGraph();
  };

  /* ---- the graph of the picked point ------------------------------------------------------ */

  Lab.prototype.sample = function () { return this.d.frames[this.fi].samples[this.pi]; };

  Lab.prototype.showGraph = function () {
    var d = this.d, s = this.sample(), i = d.pickable[this.pi], self = this;
    if (this.plane) this.plane.setPicked(i);
    if (this.pointButtons) this.pointButtons.forEach(function (b, j) { b.classList.toggle("vg-picked", j === self.pi); });
    if (s.layout !== this.layout) { this.layout = s.layout; this.graph.place(d.layouts[s.layout]); }
    this.graphTitle.textContent = "Point " + i + " (" + d.Xfmt[i] + "; class " + d.y[i] + ") " +
      d.frames[this.fi].when + ": its own " + d.loss + " loss " + s.loss;
    this.graphTitle.title = "loss = " + s.lossx;
    this.graphTitle.setAttribute("data-index", i);
    if (s.note) { this.zeroNote.textContent = s.note; this.zeroNote.hidden = false; }
    else { this.zeroNote.textContent = ""; this.zeroNote.hidden = true; }
    this.showBackward(this.bstep);
  };

  Lab.prototype.showBackward = function (b) {
    var n = this.d.layouts[this.layout].order.length, bstep = Math.max(-1, Math.min(n - 1, b));
    var text = bstep < 0
      ? "Every box shows its value (data). Press backward step \u25b6 (or \u2192) to run backward one " +
        "box at a time, from the loss back to the inputs."
      : this.d.texts[bstep][this.fi * this.d.pickable.length + this.pi];
    var shown = this.graph.show(this.sample(), bstep, text);
    this.bstep = shown.step;
    this.bReadout.textContent = shown.current < 0
      ? "forward pass done; backward: 0 of " + n + " steps"
      : "backward step " + (shown.step + 1) + " of " + n + ": " + shown.name;
  };

  /* ---- keyboard ----------------------------------------------------------------------------- */

  Lab.prototype.key = function (e) {
    if (e.target && e.target.tagName === "INPUT" && e.key !== " ") return; // the slider's own keys
    if (e.key === " ") { this.toggle(); }
    else if (e.key === "ArrowRight" && e.shiftKey) { this.pause(); this.showFrame(this.fi + 1); }
    else if (e.key === "ArrowLeft" && e.shiftKey) { this.pause(); this.showFrame(this.fi - 1); }
    else if (e.key === "ArrowRight") { this.showBackward(this.bstep + 1); }
    else if (e.key === "ArrowLeft") { this.showBackward(this.bstep - 1); }
    else if (e.key === "Home") { this.showBackward(-1); }
    else if (e.key === "End") { this.showBackward(Infinity); }
    else if (e.key === "+" || e.key === "=") { this.graph.zoomIn(); }
    else if (e.key === "-") { this.graph.zoomOut(); }
    else if (e.key === "0") { this.graph.zoomFit(); }
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
