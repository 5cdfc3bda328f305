/**
 * The part of HOCON (Typesafe Config) that docker/elasticmq.conf is written in, read so that a
 * test can compare ElasticMQ's settings with the stack's: one `key = value` or `name {` or `}`
 * a line, `#` and `//` comments, quoted or bare values, `include` lines skipped. Anything else
 * fails loudly rather than being misread.
 */

export interface HoconBlock {
  /** key = value, the value without its quotes. */
  settings: Record<string, string>;
  blocks: Record<string, HoconBlock>;
  /** The named block; throws when there is none. */
  block(name: string): HoconBlock;
}

function newBlock(): HoconBlock {
  const block: HoconBlock = {
    settings: {},
    blocks: {},
    block(name) {
      const found = block.blocks[name];
      if (found === undefined) throw new Error(`no block ${name} (there are: ${Object.keys(block.blocks).join(', ')})`);
      return found;
    },
  };
  return block;
}

const unquote = (value: string): string => (/^".*"$/.test(value) ? value.slice(1, -1) : value);

export function hocon(text: string): HoconBlock {
  const root = newBlock();
  const open = [root];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\s(#|\/\/).*$|^\s*(#|\/\/).*$/, '').trim();
    const current = open.at(-1)!;
    let match: RegExpExecArray | null;
    if (line === '' || line.startsWith('include ')) return;
    if (line === '}') {
      if (open.length === 1) throw new Error(`line ${index + 1}: } closes nothing`);
      open.pop();
    } else if ((match = /^([\w-]+)\s*\{\s*(\})?$/.exec(line)) !== null) {
      const block = newBlock();
      current.blocks[match[1]!] = block;
      if (match[2] === undefined) open.push(block);
    } else if ((match = /^([\w-]+)\s*=\s*(.+)$/.exec(line)) !== null) {
      current.settings[match[1]!] = unquote(match[2]!.trim());
    } else {
      throw new Error(`line ${index + 1}: not read by this reader: ${raw}`);
    }
  });
  if (open.length > 1) throw new Error('a block is not closed');
  return root;
}
