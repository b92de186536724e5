// Confirm by pointing: arm a quote with its button, then select a span of the text; the
// selection's exact text and 32 characters either side go into the hidden inputs (the
// server finds the offsets: the browser counts UTF-16 units, Python code points). Esc
// disarms. A quote is never typed.
(function () {
  "use strict";
  const CONTEXT = 32;
  let armed = null;
  const pane = () => document.querySelector(".source-text");
  function disarm() {
    if (armed) armed.classList.remove("armed");
    armed = null;
    const p = pane();
    if (p) p.classList.remove("arming");
  }
  function offsetIn(container, node, offset) {
    const range = document.createRange();
    range.selectNodeContents(container);
    range.setEnd(node, offset);
    return range.toString().length;
  }
  function pick() {
    const p = pane();
    const selection = window.getSelection();
    if (!armed || !p || !selection || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    if (!p.contains(range.startContainer) || !p.contains(range.endContainer)) return;
    const full = p.textContent;
    const start = offsetIn(p, range.startContainer, range.startOffset);
    const end = offsetIn(p, range.endContainer, range.endOffset);
    const exact = full.slice(start, end);
    if (!exact.trim()) return;
    const set = (part, value) => { armed.querySelector(`[data-part=${part}]`).value = value; };
    set("exact", exact);
    set("prefix", full.slice(Math.max(0, start - CONTEXT), start));
    set("suffix", full.slice(end, end + CONTEXT));
    set("start", "");  // a UTF-16 offset is not a code-point offset: the server finds it
    armed.querySelector("q.picked").textContent = exact;
    selection.removeAllRanges();
    disarm();
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".quote-picker .pick");
    if (!button) return;
    event.preventDefault();
    disarm();
    armed = button.closest(".quote-picker");
    armed.classList.add("armed");
    pane().classList.add("arming");
  });
  document.addEventListener("mouseup", () => setTimeout(pick, 0));
  document.addEventListener("keyup", (event) => { if (event.key === "Escape") disarm(); else if (event.shiftKey) pick(); });
  window.allianceIntakePick = pick;
})();
