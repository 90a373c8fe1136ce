/**
 * Whether the person asked their system for less motion (`prefers-reduced-motion: reduce`).
 * Both apps then open dialogs, lists and pages without animating them (WCAG 2.3.3): sliding and
 * zooming can make some people ill, and nothing on these pages needs motion to be understood.
 */
const QUERY = "(prefers-reduced-motion: reduce)";

export function prefersReducedMotion(): boolean {
  return window.matchMedia(QUERY).matches;
}

/** Calls `changed` whenever the preference changes while a page is open; returns the unsubscribe. */
export function onReducedMotionChange(changed: () => void): () => void {
  const list = window.matchMedia(QUERY);
  list.addEventListener("change", changed);
  return () => list.removeEventListener("change", changed);
}
