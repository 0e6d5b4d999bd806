/** A value of a Stripe request parameter: a string, a list, or a hash of further parameters. */
export type FormValue = string | FormValue[] | FormHash;
export interface FormHash {
  [key: string]: FormValue;
}

interface Node {
  [key: string]: Node | string;
}

const INDEX = /^\d+$/;

/** A hash whose keys are all indices was a list (`line_items[0][price]`); everything else stays. */
function toValue(node: Node | string): FormValue {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  if (keys.length > 0 && keys.every((k) => INDEX.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => toValue(node[k] as Node));
  }
  return Object.fromEntries(keys.map((k) => [k, toValue(node[k] as Node)]));
}

/**
 * Parse a form-encoded body or query string the way Stripe's API reads it: bracket notation
 * nests hashes (`metadata[plan]=pro`) and lists (`line_items[0][price]=…`, `expand[]=…`).
 */
export function parseStripeForm(text: string): FormHash {
  const root: Node = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    const path = match?.[1]
      ? [match[1], ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? '')]
      : [key];
    let node = root;
    path.forEach((segment, i) => {
      // `name[]` appends to a list.
      const slot = segment === '' ? String(Object.keys(node).length) : segment;
      if (i === path.length - 1) {
        node[slot] = value;
        return;
      }
      const next = node[slot];
      node = typeof next === 'object' ? next : (node[slot] = {});
    });
  }
  return toValue(root) as FormHash;
}

/** The string at `path` of a parsed form (`line_items.0.price`), or undefined. */
export function formString(form: FormValue | undefined, path: string): string | undefined {
  const value = formValue(form, path);
  return typeof value === 'string' ? value : undefined;
}

/** The value at a dotted `path` of a parsed form, or undefined. */
export function formValue(form: FormValue | undefined, path: string): FormValue | undefined {
  let value = form;
  for (const segment of path.split('.')) {
    if (value === undefined || typeof value === 'string') return undefined;
    value = Array.isArray(value) ? value[Number(segment)] : value[segment];
  }
  return value;
}

/** A hash of strings (metadata) at `path`; anything else there is left out. */
export function formStrings(form: FormValue | undefined, path: string): Record<string, string> {
  const value = formValue(form, path);
  if (!value || typeof value === 'string' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
