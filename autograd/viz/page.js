/* valuegrad page base: reads a widget's payload and mounts the widget; no dependencies, no network.
 *
 * Written by Python (autograd/viz/page.py, Widget.fragment) before every widget's own script:
 * ValuegradPage.mountId(id, build, name) takes the first element with this id not mounted yet
 * (a notebook may show one widget twice: same data, same id), decodes the JSON of its
 * <script type="application/json" data-vg-payload> ({"json": data} as it is, {"gzip": base64}
 * inflated with the browser's own DecompressionStream), calls build(element, data) and sets
 * data-ready; if anything fails, the element says why.
 */
(function () {
  "use strict";
  if (window.ValuegradPage) return; // several widgets in one notebook share one copy

  function inflate(b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    if (typeof DecompressionStream === "undefined")
      return Promise.reject(new Error("this browser has no DecompressionStream (needs Chrome 80, Firefox 113, Safari 16.4 or newer)"));
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  /* The data of the payload element that root holds, as a promise. */
  function decode(root) {
    try {
      var envelope = JSON.parse(root.querySelector("script[data-vg-payload]").textContent);
      return "gzip" in envelope ? inflate(envelope.gzip) : Promise.resolve(envelope.json);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  function mountId(id, build, name) {
    var all = document.querySelectorAll("[id='" + id + "']"), root = null;
    for (var i = 0; i < all.length && !root; i++) if (!all[i].hasAttribute("data-mounted")) root = all[i];
    if (!root) return Promise.resolve(null);
    root.setAttribute("data-mounted", "1");
    return decode(root).then(function (data) {
      var widget = build(root, data);
      root.setAttribute("data-ready", "1");
      return widget;
    }).catch(function (err) {
      var p = document.createElement("p");
      p.style.color = "#b00";
      p.textContent = "The " + name + " could not start: " + err.message;
      root.insertBefore(p, root.firstChild);
      console.error(err);
    });
  }

  window.ValuegradPage = { decode: decode, mountId: mountId };
})();
