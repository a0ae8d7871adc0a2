/**
 * What a scenario points at, the way a person would name it: a role and accessible name, a form
 * field's label, visible text, or (for numbers with no name of their own) a CSS selector. Every
 * kind is looked up through shadow roots (the app is Lit), among visible elements only.
 */
export type Target = (
  | { readonly role: string; readonly name?: string; readonly exact?: boolean }
  | { readonly label: string }
  | { readonly text: string }
  | { readonly css: string }
) & {
  /** Only inside the first visible match of this target. */
  readonly in?: Target;
};

/** How a target reads in a failure message. */
export function describeTarget(target: Target): string {
  const inside = target.in ? ` in ${describeTarget(target.in)}` : '';
  if ('role' in target) return `${target.role} "${target.name ?? ''}"${inside}`;
  if ('label' in target) return `field labelled "${target.label}"${inside}`;
  if ('text' in target) return `text "${target.text}"${inside}`;
  return `"${target.css}"${inside}`;
}
