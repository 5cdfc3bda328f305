import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Everything a transform writes when the chunks are fed through it, one after the other. */
export async function throughTransform(transform: NodeJS.ReadWriteStream, chunks: readonly Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    transform,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}
