// Requisition form: keep keyboard focus sensible as lines are added and
// removed in place by htmx (no inline scripts: CSP).

document.body.addEventListener("htmx:afterSwap", (event) => {
  // A new line was appended: put the cursor in its item box.
  if (event.detail.target.id === "line-list") {
    const lines = event.detail.target.querySelectorAll(".app-requisition-line");
    const added = lines[lines.length - 1];
    const input = added && added.querySelector("input[name$='-item']");
    if (input) {
      input.focus();
    }
  }
});

document.body.addEventListener("htmx:beforeSwap", (event) => {
  // A line is about to be removed, its button with it: move focus to "Add a
  // line" first (once removed, the button's events no longer reach the body).
  const config = event.detail.requestConfig;
  const elt = config && config.elt;
  if (elt instanceof Element && elt.matches("[data-line-remove]")) {
    const add = document.getElementById("add-line");
    if (add) {
      add.focus();
    }
  }
});
