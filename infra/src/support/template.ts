/**
 * Replaces `${NAME}` placeholders. Fails on a placeholder without a value and on a value that no
 * placeholder uses, so a template and its caller cannot drift apart silently.
 */
export function renderTemplate(template: string, values: Record<string, string | number>): string {
  const used = new Set<string>();
  const missing = new Set<string>();
  const out = template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(values, name)) {
      missing.add(name);
      return '';
    }
    used.add(name);
    return String(values[name]);
  });
  if (missing.size > 0) throw new Error(`Template placeholders without a value: ${[...missing].join(', ')}`);
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`Template values that no placeholder uses: ${unused.join(', ')}`);
  return out;
}
