import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Source } from '../lake/sources';
import type { ReceivedMessage } from '../lib/queue';

/**
 * A flush of queue messages as a lake source (docs/stream.md, "Messages as lines"): one line per
 * message, in the order they came, so that the lake's checks, quarantine and once-per-id rule are
 * the files' own. A body is an event as it is unless it holds a line break or nothing but
 * whitespace: valid JSON with line breaks (pretty-printed) has them turned into spaces, which JSON
 * reads the same; anything else has them, or its whole blank body, turned into \x01, which no JSON
 * holds raw, so that it stays not_json. Either way the quarantine keeps the body as it came.
 */

// JSON's whitespace: a body of only these would pass for a blank line, which the lake skips.
const BLANK = /^[ \t\r\n]*$/;
const LINE_BREAK = /[\r\n]/g;
const HAS_LINE_BREAK = /[\r\n]/;
const NOT_JSON = '\x01';

function lineOf(body: string): string {
  if (BLANK.test(body)) return NOT_JSON;
  if (!HAS_LINE_BREAK.test(body)) return body;
  try {
    JSON.parse(body);
    return body.replace(LINE_BREAK, ' ');
  } catch {
    return body.replace(LINE_BREAK, NOT_JSON);
  }
}

export interface MessageSource {
  source: Source;
  bytes: number;
}

/** The messages as one source named sqs://<queue>/<consumer>/<flush>, a version of its own. */
export function messageSource(messages: readonly ReceivedMessage[], name: string): MessageSource {
  const originals = new Map<number, Buffer>();
  let bytes = 0;
  const lines = messages.map((message, index) => {
    bytes += Buffer.byteLength(message.body);
    const line = lineOf(message.body);
    if (line !== message.body) originals.set(index + 1, Buffer.from(message.body));
    return line;
  });
  const text = Buffer.from(lines.join('\n'));
  return {
    bytes,
    source: {
      uri: `sqs://${name}`,
      // A flush is read once: a redelivered message comes in another flush, whose bytes differ.
      version: randomUUID(),
      gzip: false,
      open: async () => Readable.from([text]),
      ...(originals.size === 0 ? {} : { originals }),
    },
  };
}
