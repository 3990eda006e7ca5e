// The live lab's page (placeholder until the drawing is in).
function render({ model, el }) {
  el.classList.add("vg-live");
}
export default { render };
