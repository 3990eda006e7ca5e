/* nn.player: shows precomputed frames chosen by sliders; no kernel, no network.
   Mounted by autograd's page base (autograd/viz/page.js), which decodes the data (nn/player.py,
   Player.data) and calls NNPlayer.build(element, data): controls [{name, labels, start, play}],
   frames in row-major order of the
   controls' indices, and optionally a background picture with the box of its axes. */
var NNPlayer = (function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, parent, ns) {
    var e = ns ? document.createElementNS(SVG, tag) : document.createElement(tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function build(root, data) {
    root.innerHTML = "";
    root.style.cssText = "max-width:" + data.width + "px;font:13px sans-serif;color:#222";
    if (data.title) el("div", { style: "font-weight:bold;margin:4px 0" }, root).textContent = data.title;

    var ax = data.axes;
    var px = ax && ax.pixels ? ax.pixels : [1000, 600];
    var stage = el("div", { style: "position:relative;width:100%;line-height:0" }, root);
    var img = el("img", { style: "width:100%;display:block", alt: data.title || "frame" }, stage);
    if (data.background) img.src = data.background;
    else img.style.display = "none";
    var svg = el("svg", {
      viewBox: "0 0 " + px[0] + " " + px[1],
      style: (data.background ? "position:absolute;left:0;top:0;" : "") + "width:100%;height:auto;overflow:hidden",
    }, stage, true);
    var legend = el("div", { style: "margin:4px 0;line-height:1.6" }, root);
    var caption = el("div", { "class": "nn-player-text", style: "margin:4px 0;white-space:pre-wrap;min-height:1.3em" }, root);
    var panel = el("div", { style: "margin:6px 0" }, root);

    var index = data.controls.map(function (c) { return c.start; });
    var sliders = [], readouts = [], timers = [];
    data.controls.forEach(function (c, i) {
      var row = el("div", { style: "display:flex;align-items:center;gap:8px;margin:3px 0" }, panel);
      el("span", { style: "min-width:9em" }, row).textContent = c.name;
      var s = el("input", { type: "range", min: 0, max: c.labels.length - 1, step: 1, value: c.start,
                            "aria-label": c.name, "data-control": c.name, style: "flex:1" }, row);
      var out = el("span", { style: "min-width:7em;font-family:monospace" }, row);
      s.addEventListener("input", function () { index[i] = +s.value; draw(); });
      if (c.play) {
        var b = el("button", { type: "button", "data-play": c.name }, row);
        b.textContent = "play";
        b.addEventListener("click", function () {
          if (timers[i]) { clearInterval(timers[i]); timers[i] = null; b.textContent = "play"; return; }
          b.textContent = "pause";
          timers[i] = setInterval(function () {
            index[i] = (index[i] + 1) % c.labels.length;
            s.value = index[i];
            draw();
          }, data.interval);
        });
      }
      sliders.push(s); readouts.push(out);
    });

    function toPixels(x, y) {
      var X = (x - ax.xlim[0]) / (ax.xlim[1] - ax.xlim[0]);
      var Y = ax.ylog ? (Math.log(y) - Math.log(ax.ylim[0])) / (Math.log(ax.ylim[1]) - Math.log(ax.ylim[0]))
                      : (y - ax.ylim[0]) / (ax.ylim[1] - ax.ylim[0]);
      return [(ax.left + X * ax.width) * px[0], (ax.top + (1 - Y) * ax.height) * px[1]];
    }

    function frameNumber() {
      var n = 0;
      data.controls.forEach(function (c, i) { n = n * c.labels.length + index[i]; });
      return n;
    }

    function draw() {
      var n = frameNumber(), f = data.frames[n];
      root.setAttribute("data-frame", n);
      data.controls.forEach(function (c, i) { readouts[i].textContent = c.labels[index[i]]; });
      if (f.image) { img.src = f.image; img.style.display = "block"; }
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      if (ax) {  // clip to the plot area
        var a = toPixels(ax.xlim[0], ax.ylim[1]), b = toPixels(ax.xlim[1], ax.ylim[0]);
        var clip = el("clipPath", { id: root.id + "-clip" }, el("defs", {}, svg, true), true);
        el("rect", { x: a[0], y: a[1], width: b[0] - a[0], height: b[1] - a[1] }, clip, true);
      }
      var g = el("g", ax ? { "clip-path": "url(#" + root.id + "-clip)" } : {}, svg, true);
      legend.innerHTML = "";
      (f.lines || []).forEach(function (line) {
        var pts = line.xy.map(function (p) { return toPixels(p[0], p[1]); });
        var color = line.color || "#1f77b4";
        if (pts.length > 1) {
          el("polyline", { points: pts.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join(" "),
                           fill: "none", stroke: color, "stroke-width": line.width || 2,
                           "stroke-dasharray": line.dash, "stroke-linejoin": "round",
                           opacity: line.opacity, "data-label": line.label || "" }, g, true);
        }
        var m = line.markers || "none", r = line.radius || 4;
        pts.forEach(function (p, k) {
          var last = k === pts.length - 1;
          if (m === "all" || (m === "last" && last) || (m === "ends" && (k === 0 || last))) {
            el("circle", { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: r, fill: color,
                           stroke: "#000", "stroke-width": 0.8, opacity: line.opacity }, g, true);
          }
        });
        if (line.label) {
          var item = el("span", { style: "margin-right:14px;white-space:nowrap" }, legend);
          if (line.dash) {  // a dashed line's swatch is a short line with the same dashes
            var swatch = el("svg", { width: 18, height: 6, style: "vertical-align:middle;margin-right:4px" }, item, true);
            el("line", { x1: 0, y1: 3, x2: 18, y2: 3, stroke: color, "stroke-width": 3,
                         "stroke-dasharray": line.dash }, swatch, true);
          } else {
            // the colour (checked in Python) as a CSS value of its own, never spliced into a style
            el("span", { style: "display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:4px" }, item).style.background = color;
          }
          item.appendChild(document.createTextNode(line.label));
        }
      });
      caption.textContent = f.text || "";
    }

    draw();
    return { draw: draw, index: index };
  }

  return { build: build };
})();
