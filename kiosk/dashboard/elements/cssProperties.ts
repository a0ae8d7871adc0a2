import { noChange } from 'lit';
import {
  type AttributePart,
  Directive,
  directive,
  type PartInfo,
  PartType,
} from 'lit/directive.js';

type Properties = Readonly<Record<string, string>>;

/**
 * Sets an element's inline style properties (CSS names: `left`, `--hours`) through the CSSOM,
 * on the first render too. Lit's `styleMap` writes its first value as a `style` attribute,
 * which the server's Content-Security-Policy (`style-src 'self'`, no `'unsafe-inline'`)
 * blocks; `style.setProperty` is not an inline style and is allowed.
 */
class CssPropertiesDirective extends Directive {
  private previous: readonly string[] = [];

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ATTRIBUTE || part.name !== 'style')
      throw new Error('cssProperties() belongs in a style attribute');
  }

  render(_properties: Properties): typeof noChange {
    return noChange;
  }

  override update(part: AttributePart, [properties]: [Properties]): typeof noChange {
    const style = (part.element as HTMLElement).style;
    for (const name of this.previous) if (!(name in properties)) style.removeProperty(name);
    for (const [name, value] of Object.entries(properties)) style.setProperty(name, value);
    this.previous = Object.keys(properties);
    return noChange;
  }
}

export const cssProperties = directive(CssPropertiesDirective);
