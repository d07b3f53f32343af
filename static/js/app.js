// Starts the NHS.UK frontend components; loaded as a module, so no inline script.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// htmx sends Django's CSRF token with every request it makes.
document.body.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("meta[name=csrf-token]");
  if (token) {
    event.detail.headers["X-CSRFToken"] = token.content;
  }
});
