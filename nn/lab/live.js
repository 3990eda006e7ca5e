/* valuegrad live lab: the page of nn.LiveLab, an anywidget ES module (draw.js + this file).
 *
 * The kernel computes every number and formats it (nn/lab/live.py, live_frames.py); this script
 * only draws what the synced traits hold and sends the learner's actions as messages. The
 * protocol (traits setup, controls, frame, graph_layout, verdict, error, running; messages ack,
 * control, play, pause, step, reset, pick, set_weight, guess) is in nn/lab/live.py's docstring.
 *
 * Flow control: after drawing frame `seq` the page sends {type: "ack", seq}; the kernel sends
 * the next frame only then. The root element carries, for tests and benchmarks:
 * data-frames-drawn, data-seq, data-step, data-latency-ms (from the last control change sent
 * to the first frame drawn with it: frames carry the settings' version).
 */

var LIVE_CONTROLS = [
  // [data-control, label, kind, title]
  ["lr", "learning rate", "number", "the step size of every update"],
  ["optimizer", "optimizer", "select", "gd: full batch; sgd: mini-batches; momentum: SGD with momentum; adam"],
  ["batch-size", "batch", "number", "examples per step (sgd, momentum, adam)"],
  ["momentum", "momentum", "number", "the momentum optimizer's coefficient, in [0, 1)"],
  ["activation", "activation", "select", "the hidden layers' activation (a new model)"],
  ["hidden", "hidden layers", "text", "sizes separated by commas, e.g. 16,16 (a new model)"],
  ["dataset", "data", "select", "the data set"],
  ["noise", "noise", "number", "the noise on each coordinate of a made data set"],
  ["val-fraction", "validation share", "number", "the share of the data held out, in [0, 0.9]"],
];

function render(context) { // an ES module: strict mode already
  var model = context.model, el = context.el;
  var E = VgDraw.el;
  var root = E("div", { "class": "vg-live", tabindex: "0" }, el);
  var drawn = 0, lastVersion = 0, pending = null, bstep = -1, predict = false;
  var waitingWeight = null; // the latest weight asked for while one is in flight
  var selected = null, placedLayout = -1, setupShown = null;
  var view = {};

  function send(message) { model.send(message); }
  function attr(name, value) { root.setAttribute(name, String(value)); }
  function changeSent() { pending = { t: performance.now(), version: lastVersion + 1 }; }
  var button = VgDraw.button;
  attr("data-frames-drawn", 0);
  attr("data-seq", 0);
  attr("data-step", 0);

  /* ---- the controls bar ------------------------------------------------------------------ */

  var title = E("div", { "class": "vg-live-title" }, root);
  E("strong", {}, title, "valuegrad live lab");
  view.run = E("span", { "class": "vg-live-run" }, title);
  var bar = E("div", { "class": "vg-live-bar" }, root);
  view.play = button(bar, "play", "\u25b6 play", "train in the kernel, step after step", function () {
    send({ type: model.get("running") ? "pause" : "play" });
  });
  button(bar, "train-step", "train 1 step", "one training step now", function () { send({ type: "step" }); });
  button(bar, "reset", "reset", "back to the starting weights, no history", function () {
    changeSent();
    send({ type: "reset" });
  });
  /* Enter commits a box: leaving it fires its change event once. (JupyterLab cancels the
   * line break that Enter would insert, and with it the change event Enter fires elsewhere.) */
  function sendOnEnter(input) {
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") input.blur(); });
  }
  view.controls = {};
  LIVE_CONTROLS.forEach(function (c) {
    var label = E("label", { title: c[3] }, bar);
    E("span", {}, label, c[1] + " ");
    var input = c[2] === "select"
      ? E("select", { "data-control": c[0] }, label)
      : E("input", { "data-control": c[0], type: "text", size: c[0] === "hidden" ? 8 : 5 }, label);
    input.addEventListener("change", function () {
      changeSent();
      send({ type: "control", name: c[0], value: input.value });
    });
    sendOnEnter(input);
    view.controls[c[0]] = input;
  });
  var readouts = E("div", { "class": "vg-live-readouts" }, root);
  view.step = E("span", { "data-readout": "step", "data-step": "0" }, readouts, "step 0");
  view.loss = E("span", { "data-readout": "loss", "data-exact": "" }, readouts, "");
  view.method = E("span", { "class": "vg-live-method" }, readouts);
  view.error = E("div", { "data-readout": "error", "class": "vg-live-error", role: "alert" }, root);

  /* ---- the panels: boundary, network, loss ------------------------------------------------ */

  var row = E("div", { "class": "vg-live-row" }, root);
  var bPanel = E("div", { "class": "vg-live-panel" }, row);
  E("h3", {}, bPanel, "Data and decision boundary: click a point");
  view.boundaryBox = E("div", { "class": "vg-live-boundary" }, bPanel);
  view.hover = E("p", { "data-readout": "hover", "class": "vg-live-readout" }, bPanel);
  var nPanel = E("div", { "class": "vg-live-panel vg-live-network-panel" }, row);
  E("h3", {}, nPanel, "Network: each neuron's output over the plane; click or drag an edge (a weight)");
  view.network = E("div", { "class": "vg-live-network" }, nPanel);
  var wbar = E("div", { "class": "vg-live-weight" }, nPanel);
  view.weightName = E("span", { "class": "vg-live-weight-name" }, wbar, "no weight selected");
  view.weight = E("input", { "data-control": "weight", "data-weight-name": "", type: "text", size: 10, disabled: "" }, wbar);
  view.slider = E("input", { type: "range", min: "-3", max: "3", step: "0.01", "class": "vg-live-slider",
                             "aria-label": "drag to set the weight", disabled: "" }, wbar);
  view.weight.addEventListener("change", function () { setWeight(view.weight.value); });
  sendOnEnter(view.weight);
  view.slider.addEventListener("input", function () { setWeight(view.slider.value); });
  var lPanel = E("div", { "class": "vg-live-panel" }, row);
  E("h3", {}, lPanel, "Loss (log scale): train and validation");
  view.chartBox = E("div", {}, lPanel);

  /* ---- the picked point's graph ----------------------------------------------------------- */

  var gPanel = E("div", { "class": "vg-live-panel vg-live-graph-panel" }, root);
  view.point = E("h3", { "data-readout": "point" }, gPanel);
  view.why = E("div", { "class": "vg-live-why", hidden: "" }, gPanel);
  view.whyText = E("span", {}, view.why);
  view.suggest = button(view.why, "pick-suggested", "", "show the point of the largest loss", function () {
    send({ type: "pick", index: +view.suggest.getAttribute("data-index") });
  });
  var gbar = E("div", { "class": "vg-live-bar" }, gPanel);
  button(gbar, "backward-clear", "clear backward", "undo every backward step: the forward pass only", function () { showBackward(-1); });
  button(gbar, "backward-back", "\u25c0 back", "undo one backward step", function () { showBackward(bstep - 1); });
  view.bnext = button(gbar, "backward-step", "backward step \u25b6", "one backward step (predict mode: guess first)", function () {
    if (predict) ask(); else showBackward(bstep + 1);
  });
  button(gbar, "backward-all", "all backward steps", "backward done", function () { showBackward(Infinity); });
  view.predict = button(gbar, "predict", "predict: off", "guess each gradient before it is shown", function () {
    predict = !predict;
    view.predict.textContent = "predict: " + (predict ? "on" : "off");
    view.predict.setAttribute("aria-pressed", String(predict));
    view.ask.hidden = true;
  });
  button(gbar, "zoom-out", "zoom \u2212", "smaller graph", function () { view.graph.zoomOut(); });
  button(gbar, "zoom-fit", "fit", "the graph to the width", function () { view.graph.zoomFit(); });
  button(gbar, "zoom-in", "zoom +", "larger graph (scroll it)", function () { view.graph.zoomIn(); });
  view.backward = E("span", { "data-readout": "backward" }, gbar);
  view.ask = E("div", { "class": "vg-live-ask", hidden: "" }, gPanel);
  view.question = E("span", {}, view.ask);
  view.guess = E("input", { "data-control": "guess", type: "text", size: 10 }, view.ask);
  button(view.ask, "check", "check", "the kernel checks your guess with the engine", function () {
    send({ type: "guess", step: bstep + 1, value: view.guess.value });
  });
  view.guess.addEventListener("keydown", function (e) {
    if (e.key === "Enter") send({ type: "guess", step: bstep + 1, value: view.guess.value });
  });
  view.verdict = E("p", { "data-readout": "verdict", "class": "vg-live-readout" }, gPanel);
  var split = E("div", { "class": "vg-live-split" }, gPanel);
  view.graphBox = E("div", { "class": "vg-live-graph" }, split);
  view.arithmetic = E("pre", { "data-readout": "arithmetic", "class": "vg-live-arith" }, split);
  E("p", { "class": "vg-live-help" }, root,
    "Keys (click the lab first): space plays or pauses, \u2190 \u2192 step backward. Red is " +
    "positive, blue negative: weights, neurons' outputs and gradients alike. The kernel computes " +
    "every number; this page only draws them.");
  view.graph = VgDraw.graph(view.graphBox, {
    onHover: function (text) { view.hover.textContent = text; }, arith: view.arithmetic,
  });

  /* ---- drawing what the kernel sent ------------------------------------------------------- */

  function drawSetup() {
    var s = model.get("setup");
    if (!s || s === setupShown) return;
    setupShown = s;
    view.run.textContent = s.run;
    ["optimizer", "activation", "dataset"].forEach(function (name) {
      var select = view.controls[name];
      select.textContent = "";
      s.options[name].forEach(function (o) { E("option", { value: o }, select, o); });
    });
    view.boundaryBox.textContent = "";
    var pick = function (i) { send({ type: "pick", index: i }); };
    var describe = function (i) { view.hover.textContent = "point " + i + ": x = " + s.Xtext[i] + ", class " + s.y[i]; };
    view.boundary = s.grid ? VgDraw.boundary(view.boundaryBox, s, { onPick: pick, onHover: describe })
      : pointList(view.boundaryBox, s, pick, describe);
    buildNetwork(s);
    view.chart = null;
    drawControls();
  }

  /* Inputs that are not 2-D: no plane to draw on (Python's note says so); a button a point. */
  function pointList(parent, s, pick, describe) {
    E("p", { "class": "vg-live-why" }, parent, s.boundary_note);
    var list = E("div", { "class": "vg-live-points" }, parent);
    var buttons = s.y.map(function (c, i) {
      var b = button(list, "pick", "point " + i + " (class " + c + ")", s.Xtext[i], function () { pick(i); });
      b.setAttribute("data-index", i);
      b.addEventListener("mouseenter", function () { describe(i); });
      return b;
    });
    return {
      drawGrid: function () {},
      setPickable: function () {},
      setPicked: function (i) { buttons.forEach(function (b, j) { b.classList.toggle("vg-picked", i === j); }); },
    };
  }

  function drawControls() {
    var c = model.get("controls");
    Object.keys(view.controls).forEach(function (name) {
      if (c[name] !== undefined) view.controls[name].value = c[name];
    });
  }

  function drawFrame() {
    var f = model.get("frame");
    if (!f || !f.seq) return;
    drawSetup();
    if (!view.chart) {
      view.chartBox.textContent = "";
      view.chart = VgDraw.lossChart(view.chartBox, f.history, {
        onHover: function (k) { view.hover.textContent = VgDraw.stepText(model.get("frame").history.exact, k); },
      });
    } else view.chart.update(f.history);
    if (f.grid !== null) view.boundary.drawGrid(f.grid);
    view.boundary.setPicked(f.graph.index);
    drawNeurons(f);
    drawWeights(f.weights);
    drawGraph(f.graph);
    view.step.textContent = "step " + f.step + (f.running ? " (training)" : "");
    view.step.setAttribute("data-step", f.step);
    view.loss.textContent = f.loss ? "training loss " + f.loss.text : "not trained yet";
    view.loss.setAttribute("data-exact", f.loss ? f.loss.exact : "");
    view.loss.title = f.loss ? "exactly " + f.loss.exact : "";
    view.method.textContent = f.method;
    drawn += 1;
    lastVersion = Math.max(lastVersion, f.version);
    attr("data-frames-drawn", drawn);
    attr("data-seq", f.seq);
    attr("data-step", f.step);
    if (pending && f.version >= pending.version) {
      attr("data-latency-ms", (performance.now() - pending.t).toFixed(1));
      pending = null;
      sendWaitingWeight();
    }
    send({ type: "ack", seq: f.seq });
  }

  /* ---- the network view (TF Playground's) ------------------------------------------------- */

  function buildNetwork(s) {
    var layers = s.network.layers, box = view.network, CELL = 22, GAP = 3, COL = 90;
    var tall = Math.max.apply(null, layers.map(function (l) { return l.length; }));
    var H = tall * (CELL + GAP) + GAP, W = (layers.length - 1) * COL + CELL + 40;
    box.textContent = "";
    box.style.width = W + "px";
    box.style.height = H + "px";
    var svg = E("svg:svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H }, box);
    var at = {};
    layers.forEach(function (layer, li) {
      var top = (H - layer.length * (CELL + GAP) + GAP) / 2;
      layer.forEach(function (name, j) { at[name] = [20 + li * COL, top + j * (CELL + GAP)]; });
    });
    view.edges = {};
    s.network.edges.forEach(function (e) {
      var a = at[e[0]], b = at[e[1]];
      var g = E("svg:g", { "data-weight": e[2], "class": "vg-live-edge" }, svg);
      var line = { x1: a[0] + CELL, y1: a[1] + CELL / 2, x2: b[0] - 6, y2: b[1] + CELL / 2 };
      E("svg:line", Object.assign({ "class": "vg-live-hit" }, line), g);
      view.edges[e[2]] = E("svg:line", Object.assign({ "class": "vg-live-line" }, line), g);
      E("svg:title", {}, g, e[2]);
      edgeEvents(g, e[2]);
    });
    view.cells = {};
    layers.forEach(function (layer, li) {
      layer.forEach(function (name) {
        var p = at[name];
        if (li === 0) {
          var box0 = E("div", { "class": "vg-live-input", style: "left:" + p[0] + "px;top:" + p[1] + "px" }, box, s.features[+name.slice(1)] || name);
          box0.title = name;
          return;
        }
        var bias = E("svg:rect", { x: p[0] - 6, y: p[1] + CELL / 2 - 4, width: 6, height: 8, "data-weight": name + ".b", "class": "vg-live-bias" }, svg);
        E("svg:title", {}, bias, name + ".b");
        view.edges[name + ".b"] = bias;
        edgeEvents(bias, name + ".b");
        if (s.grid) {
          var n = s.grid.n;
          view.cells[name] = E("canvas", { width: n, height: n, "data-neuron": name, title: name,
            "class": "vg-live-cell", style: "left:" + p[0] + "px;top:" + p[1] + "px" }, box);
        } else {
          E("div", { "class": "vg-live-input", "data-neuron": name, style: "left:" + p[0] + "px;top:" + p[1] + "px" }, box, name);
        }
      });
    });
    select(selected && view.edges[selected] ? selected : null);
  }

  function edgeEvents(target, name) {
    target.addEventListener("click", function () { select(name); });
    target.addEventListener("mousedown", function (e) { dragWeight(e, name); });
  }

  function drawNeurons(f) {
    var s = model.get("setup");
    if (!s.grid) return;
    Object.keys(view.cells).forEach(function (name) { // one output: its map is the boundary
      var own = f.neurons[name];
      paint(view.cells[name], own || f.grid, own ? s.levels : s.grid.palette);
    });
  }

  function paint(canvas, b64, palette) {
    var bin = atob(b64), ctx = canvas.getContext("2d");
    var img = ctx.createImageData(canvas.width, canvas.height);
    for (var i = 0; i < bin.length; i++) {
      var rgb = palette[bin.charCodeAt(i)]; // each byte's colour, chosen in Python
      img.data[4 * i] = rgb[0]; img.data[4 * i + 1] = rgb[1]; img.data[4 * i + 2] = rgb[2];
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function drawWeights(w) {
    view.weights = {};
    w.names.forEach(function (name, i) {
      view.weights[name] = { text: w.text[i], exact: w.exact[i] };
      var target = view.edges[name];
      if (!target) return;
      if (target.tagName === "rect") target.setAttribute("fill", w.colour[i]);
      else {
        target.setAttribute("stroke", w.colour[i]);
        target.setAttribute("stroke-width", w.width[i]);
      }
      target.parentNode.setAttribute("data-value", w.exact[i]);
    });
    if (selected) showSelected();
  }

  function select(name) {
    selected = name;
    Object.keys(view.edges || {}).forEach(function (k) {
      var t = view.edges[k];
      (t.tagName === "rect" ? t : t.parentNode).classList.toggle("vg-live-selected", k === name);
    });
    view.weight.disabled = view.slider.disabled = !name;
    view.weight.setAttribute("data-weight-name", name || "");
    if (name) showSelected();
    else view.weightName.textContent = "no weight selected: click an edge (a weight) or a bias";
  }

  function showSelected() {
    var w = view.weights && view.weights[selected];
    if (!w) return;
    view.weightName.textContent = selected + " =";
    if (document.activeElement !== view.weight) view.weight.value = w.exact;
    if (document.activeElement !== view.slider) view.slider.value = w.exact;
    view.weight.title = "exactly " + w.exact;
  }

  /* One weight change in flight: while the kernel has not drawn the last one, a newer value
   * (a drag, the slider) waits, and only the latest is sent when the frame comes. */
  function setWeight(value) {
    if (!selected) return;
    if (pending && pending.weight) waitingWeight = { name: selected, value: value };
    else sendWeight(selected, value);
  }

  function sendWeight(name, value) {
    changeSent();
    pending.weight = true;
    send({ type: "set_weight", name: name, value: value });
  }

  function sendWaitingWeight() {
    var w = waitingWeight;
    waitingWeight = null;
    if (w) sendWeight(w.name, w.value);
  }

  /* Drag an edge (or a bias) up or down: its weight changes by 0.01 a pixel, sent as the mouse
   * moves; the kernel answers with the value set (and the frame it gives). */
  function dragWeight(e, name) {
    select(name);
    var w = view.weights && view.weights[name];
    if (!w) return;
    var y0 = e.clientY, start = parseFloat(w.exact), moved = false;
    function move(m) { // the value the learner drags to; the box shows the kernel's
      moved = true;
      setWeight(start + (y0 - m.clientY) * 0.01);
    }
    function up() {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
      if (moved) view.weight.blur();
    }
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
    e.preventDefault();
  }

  /* ---- the graph, backward steps and predict-then-reveal ------------------------------------ */

  function drawGraph(g) {
    var layout = model.get("graph_layout");
    if (layout && layout.id !== placedLayout) {
      view.graph.place(layout);
      placedLayout = layout.id;
    }
    view.point.textContent = "Point " + g.index + " (x = " + g.point + ", class " + g.label +
      "): its own loss " + g.sample.loss + ", one box per neuron";
    view.point.title = "x = " + g.pointx + ", loss = " + g.sample.lossx;
    view.why.hidden = !g.why;
    view.whyText.textContent = (g.why || "") + " ";
    view.suggest.hidden = g.suggest === null;
    view.suggest.setAttribute("data-index", g.suggest === null ? "" : g.suggest);
    view.suggest.textContent = "show point " + g.suggest;
    showBackward(bstep);
  }

  function showBackward(b) {
    var f = model.get("frame"), layout = model.get("graph_layout");
    if (!f || !f.graph || !layout.order) return;
    var n = layout.order.length;
    bstep = Math.max(-1, Math.min(n - 1, b));
    var text = bstep < 0
      ? "Every box shows its value (data). Step backward to fill in the gradients, from the loss back to the inputs."
      : f.graph.texts[bstep];
    view.graph.show(f.graph.sample, bstep, text); // writes the text into the arithmetic
    view.backward.textContent = bstep < 0 ? "backward: 0 of " + n + " steps"
      : "backward step " + (bstep + 1) + " of " + n + ": " + layout.names[layout.order[bstep]];
    view.bnext.disabled = bstep >= n - 1;
  }

  function ask() {
    var layout = model.get("graph_layout");
    if (bstep + 1 >= layout.order.length) return;
    view.ask.hidden = false;
    view.question.textContent = "Predict: " + layout.names[layout.order[bstep + 1]] + ".grad = ";
    view.guess.value = "";
    view.guess.focus();
  }

  function drawVerdict() {
    var v = model.get("verdict");
    if (!v || v.step === undefined) return;
    view.verdict.textContent = v.text;
    view.verdict.setAttribute("data-correct", String(v.correct));
    if (v.step === bstep + 1) { // revealed: the step the guess was for
      view.ask.hidden = true;
      showBackward(v.step);
    }
  }

  function drawError() {
    var text = model.get("error");
    view.error.textContent = text;
    view.error.hidden = !text;
    if (text) { pending = null; waitingWeight = null; drawControls(); }
  }

  function drawRunning() {
    view.play.textContent = model.get("running") ? "\u275a\u275a pause" : "\u25b6 play";
  }

  /* Keys, when the lab has the focus (not in a box): space plays or pauses, the arrows step
   * backward and back. */
  root.addEventListener("keydown", function (e) {
    var tag = e.target && e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "BUTTON") return;
    if (e.key === " ") send({ type: model.get("running") ? "pause" : "play" });
    else if (e.key === "ArrowRight") { if (predict) ask(); else showBackward(bstep + 1); }
    else if (e.key === "ArrowLeft") showBackward(bstep - 1);
    else return;
    e.preventDefault();
  });

  var handlers = {
    "change:frame": drawFrame, "change:setup": drawSetup, "change:controls": drawControls,
    "change:graph_layout": function () { placedLayout = -1; }, "change:verdict": drawVerdict,
    "change:error": drawError, "change:running": drawRunning,
  };
  Object.keys(handlers).forEach(function (k) { model.on(k, handlers[k]); });
  drawSetup();
  drawError();
  drawRunning();
  drawFrame();
  return function () { Object.keys(handlers).forEach(function (k) { model.off(k, handlers[k]); }); };
}

export default { render };
