/** A tiny element builder: enough for a few screens without a framework. */
type Child = Node | string | number | null | undefined | false;
type Props<K extends keyof HTMLElementTagNameMap> = Partial<Omit<HTMLElementTagNameMap[K], 'dataset' | 'style'>> & {
  dataset?: Record<string, string>;
};

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props<K> | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props) {
    const { dataset, ...rest } = props;
    Object.assign(element, rest);
    if (dataset) Object.assign(element.dataset, dataset);
  }
  for (const child of children)
    if (child !== null && child !== undefined && child !== false) element.append(child instanceof Node ? child : String(child));
  return element;
}

/** Replaces the children of `parent`. */
export function fill(parent: Element, ...children: Child[]): void {
  if (parent.childNodes.length > 0) parent.replaceChildren();
  for (const child of children)
    if (child !== null && child !== undefined && child !== false) parent.append(child instanceof Node ? child : String(child));
}

export const time = (iso: string) => new Date(iso).toLocaleTimeString();

/** "NEW_CHAT_SESSION" → "New chat session". */
export const label = (value: string) => value.charAt(0) + value.slice(1).toLowerCase().replaceAll('_', ' ');
