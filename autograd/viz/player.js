/* valuegrad backprop player: plays precomputed SVG frames of backward(), one node per step.
 *
 * Every frame was drawn by Python (autograd/viz/player.py, with autograd.viz.draw_graph) and
 * every number formatted there; this script shows one frame at a time and offers
 * first / previous / play-pause / next / last, a slider, a speed choice, the keys
 * (left/right arrows, Home/End, space) and a fit-to-width / actual-size switch.
 * No dependencies, no network. Mounted by the page base (autograd/viz/page.js), which decodes
 * the frames and calls ValuegradPlayer.build(element, data).
 */
(function () {
  "use strict";
  if (window.ValuegradPlayer) return; // several players in one notebook share one copy

  var CSS =
    ".vg-bp{font:13px/1.4 Helvetica,Arial,sans-serif;margin:6px 0;outline:none}" +
    ".vg-bp-title{font-weight:bold;margin:0 0 4px}" +
    ".vg-bp-bar{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin:0 0 4px}" +
    ".vg-bp-bar button{font:inherit;padding:2px 8px;cursor:pointer}" +
    ".vg-bp-bar input[type=range]{flex:1;min-width:120px}" +
    ".vg-bp-readout{margin:0 0 4px;font-family:Menlo,Consolas,monospace}" +
    ".vg-bp-view{overflow:auto;max-height:75vh;border:1px solid #ddd;padding:2px}";

  function el(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function Player(root, data) {
    var self = this;
    this.root = root;
    this.d = data;
    this.k = 0;
    this.timer = null;
    this.fit = true;
    root.textContent = "";
    root.tabIndex = 0;
    if (data.title) el("p", { "class": "vg-bp-title" }, root, data.title);
    var bar = el("div", { "class": "vg-bp-bar" }, root);
    function btn(cls, text, title, fn) {
      var b = el("button", { "class": cls, title: title, type: "button" }, bar, text);
      b.addEventListener("click", fn);
      return b;
    }
    btn("vg-bp-first", "|\u25c0", "first step (Home)", function () { self.pause(); self.show(0); });
    btn("vg-bp-prev", "\u25c0", "previous step (left arrow)", function () { self.pause(); self.show(self.k - 1); });
    this.playBtn = btn("vg-bp-play", "\u25b6 play", "play / pause (space)", function () { self.toggle(); });
    btn("vg-bp-next", "\u25b6", "next step (right arrow)", function () { self.pause(); self.show(self.k + 1); });
    btn("vg-bp-last", "\u25b6|", "last step (End)", function () { self.pause(); self.show(self.d.frames.length - 1); });
    this.slider = el("input", { type: "range", "class": "vg-bp-slider", min: 0, max: data.frames.length - 1, value: 0, "aria-label": "step" }, bar);
    this.slider.addEventListener("input", function () { self.pause(); self.show(+self.slider.value); });
    this.speed = el("select", { "class": "vg-bp-speed", title: "speed" }, bar);
    [["0.5", "slow"], ["1", "normal"], ["2", "fast"]].forEach(function (o) {
      var opt = el("option", { value: o[0] }, self.speed, o[1]);
      if (o[0] === "1") opt.selected = true;
    });
    this.speed.addEventListener("change", function () { if (self.timer) { self.pause(); self.play(); } });
    this.fitBtn = btn("vg-bp-fit", "actual size", "switch between fit to width and actual size (scroll)", function () { self.setFit(!self.fit); });
    this.readout = el("p", { "class": "vg-bp-readout", "aria-live": "polite" }, root);
    this.view = el("div", { "class": "vg-bp-view" }, root);
    root.addEventListener("keydown", function (e) {
      var n = self.d.frames.length, handled = true;
      if (e.key === "ArrowRight") { self.pause(); self.show(self.k + 1); }
      else if (e.key === "ArrowLeft") { self.pause(); self.show(self.k - 1); }
      else if (e.key === "Home") { self.pause(); self.show(0); }
      else if (e.key === "End") { self.pause(); self.show(n - 1); }
      else if (e.key === " ") self.toggle();
      else handled = false;
      if (handled) e.preventDefault();
    });
    this.show(0);
  }

  Player.prototype.show = function (k) {
    var n = this.d.frames.length;
    this.k = Math.max(0, Math.min(n - 1, k));
    var f = this.d.frames[this.k];
    this.view.innerHTML = f.svg;
    this.applyFit();
    this.follow();
    this.slider.value = this.k;
    this.readout.textContent = "step " + this.k + " of " + (n - 1) + ": " + f.node + ", grad = " + f.grad;
    this.root.setAttribute("data-step", this.k);
  };

  Player.prototype.applyFit = function () {
    var svg = this.view.querySelector("svg");
    if (!svg) return;
    if (svg.getAttribute("data-natural") === null) svg.setAttribute("data-natural", svg.style.maxWidth || "");
    var natural = svg.getAttribute("data-natural");
    if (this.fit) { svg.style.width = "100%"; svg.style.maxWidth = natural; }
    else { svg.style.width = natural || "auto"; svg.style.maxWidth = "none"; }
  };

  /* Keep the step's node (its border has autograd.viz's highlight colour) in view. */
  Player.prototype.follow = function () {
    var mark = this.view.querySelector("[stroke='" + this.d.highlight + "']");
    if (!mark || !mark.getBoundingClientRect) return;
    var r = mark.getBoundingClientRect(), v = this.view.getBoundingClientRect();
    if (r.top < v.top || r.bottom > v.bottom) this.view.scrollTop += r.top - v.top - (v.height - r.height) / 2;
    if (r.left < v.left || r.right > v.right) this.view.scrollLeft += r.left - v.left - (v.width - r.width) / 2;
  };

  Player.prototype.setFit = function (fit) {
    this.fit = fit;
    this.fitBtn.textContent = fit ? "actual size" : "fit to width";
    this.applyFit();
    this.follow();
  };

  Player.prototype.play = function () {
    var self = this;
    if (this.k >= this.d.frames.length - 1) this.show(0);
    this.playBtn.textContent = "\u2016 pause";
    this.timer = setInterval(function () {
      if (self.k >= self.d.frames.length - 1) self.pause();
      else self.show(self.k + 1);
    }, this.d.interval / (+this.speed.value || 1));
  };

  Player.prototype.pause = function () {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.playBtn.textContent = "\u25b6 play";
  };

  Player.prototype.toggle = function () { if (this.timer) this.pause(); else this.play(); };

  function build(root, data) {
    if (!document.getElementById("vg-bp-style")) el("style", { id: "vg-bp-style" }, document.head || document.body, CSS);
    root.player = new Player(root, data);
    return root.player;
  }

  window.ValuegradPlayer = { build: build };
})();
