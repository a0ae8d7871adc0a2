import type { Target } from './Target';

/**
 * Functions that run inside the page (serialised with `toString()`, so each is self-contained:
 * no imports, no helpers from outside its own body). They find elements the way Playwright's
 * `getByRole`/`getByLabel`/`getByText` do, closely enough for Headcount's screens, across shadow
 * roots, so every engine — WebDriver or WebDriver BiDi or CDP — finds the same elements.
 */

/** Every visible element matching `target`, in document order, looking into shadow roots. */
export function findAll(target: Target): Element[] {
  const normal = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
  const visible = (el: Element) =>
    typeof (el as HTMLElement).checkVisibility === 'function'
      ? (el as HTMLElement).checkVisibility()
      : el.getClientRects().length > 0;
  const all = (root: Element | Document | ShadowRoot): Element[] => {
    const found: Element[] = [];
    const walk = (node: Element | Document | ShadowRoot) => {
      for (const child of Array.from(node.children)) {
        found.push(child);
        if (child.shadowRoot) walk(child.shadowRoot);
        walk(child);
      }
    };
    if (root instanceof Element && root.shadowRoot) walk(root.shadowRoot);
    walk(root);
    return found;
  };
  // Text content as a name: what is hidden from assistive technology is not part of it.
  const contentText = (node: Node): string =>
    Array.from(node.childNodes)
      .map((child) => {
        if (child.nodeType === Node.TEXT_NODE) return child.textContent ?? '';
        if (!(child instanceof Element) || child.getAttribute('aria-hidden') === 'true') return '';
        return contentText(child);
      })
      .join('');
  const byId = (el: Element, id: string) =>
    (el.getRootNode() as Document | ShadowRoot).getElementById?.(id) ?? null;
  const labelOf = (el: Element): string => {
    const aria = el.getAttribute('aria-label');
    if (aria) return normal(aria);
    const ids = el.getAttribute('aria-labelledby');
    if (ids)
      return normal(
        ids
          .split(/\s+/)
          .map((id) => byId(el, id)?.textContent ?? '')
          .join(' '),
      );
    const labels = (el as HTMLInputElement).labels;
    if (labels && labels.length > 0) return normal(labels[0]?.textContent);
    return '';
  };
  const nameOf = (el: Element): string => {
    const label = labelOf(el);
    if (label) return label;
    if (el instanceof HTMLInputElement && ['button', 'submit', 'reset'].includes(el.type))
      return normal(el.value);
    if (el instanceof HTMLImageElement) return normal(el.alt);
    return normal(contentText(el)) || normal(el.getAttribute('title'));
  };
  const roleOf = (el: Element): string => {
    const explicit = el.getAttribute('role');
    if (explicit) return explicit.split(/\s+/)[0] ?? '';
    const tag = el.tagName.toLowerCase();
    if (tag === 'button') return 'button';
    if (tag === 'input') {
      const type = (el as HTMLInputElement).type;
      if (['button', 'submit', 'reset'].includes(type)) return 'button';
      if (type === 'checkbox' || type === 'radio') return type;
      return 'textbox';
    }
    if (tag === 'textarea') return 'textbox';
    if (/^h[1-6]$/.test(tag)) return 'heading';
    if (tag === 'nav') return 'navigation';
    if (tag === 'output') return 'status';
    if (tag === 'a' && el.hasAttribute('href')) return 'link';
    if (tag === 'img') return 'img';
    return '';
  };
  const matches = (el: Element, t: Target): boolean => {
    if ('role' in t) {
      if (roleOf(el) !== t.role) return false;
      if (t.name === undefined) return true;
      const name = nameOf(el);
      return t.exact ? name === t.name : name.toLowerCase().includes(t.name.toLowerCase());
    }
    if ('label' in t) return labelOf(el).toLowerCase().includes(t.label.toLowerCase());
    if ('css' in t) return el.matches(t.css);
    const has = (e: Element) => normal(e.textContent).includes(t.text);
    return has(el) && !Array.from(el.children).some(has);
  };
  const search = (t: Target): Element[] => {
    let roots: (Document | Element)[] = [document];
    if (t.in) {
      const container = search(t.in)[0];
      if (!container) return [];
      roots = [container];
    }
    return roots.flatMap((root) => all(root).filter((el) => matches(el, t) && visible(el)));
  };
  return search(target);
}
