// Starts GOV.UK Frontend's components. A module file, not an inline script, so the Content
// Security Policy keeps script-src 'self'. Every page works without it.
import { initAll } from "/assets/govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();
