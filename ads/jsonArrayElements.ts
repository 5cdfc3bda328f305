/**
 * The source text of each element of a JSON array, as it was written: what ad_rejects keeps of
 * a broken impression. JSON.parse gives values only, and a value is not always its text (it
 * reads 1e400 as Infinity, which JSON.stringify writes as null).
 */

/** The element texts of `json`, which JSON.parse must already have read as an array. */
export function jsonArrayElements(json: string): string[] {
  const texts: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  const close = (end: number): void => {
    if (start >= 0) texts.push(json.slice(start, end).trimEnd());
    start = -1;
  };
  for (let i = 0; i < json.length; i += 1) {
    const c = json[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 1 && start < 0 && c !== ',' && c !== ']' && !/\s/.test(c)) start = i;
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth += 1;
    else if (c === ']' || c === '}') {
      depth -= 1;
      if (depth === 0) close(i);
    } else if (c === ',' && depth === 1) close(i);
  }
  return texts;
}
