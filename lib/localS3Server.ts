/**
 * The process lib/localS3.ts starts: an s3rver on a folder, which exits when its parent does.
 * A process of its own because s3rver's paginated listings encrypt their continuation token
 * with DES, which Node's OpenSSL 3 offers only under --openssl-legacy-provider: the flag is
 * given to this process alone, never to the stack's. Arguments: <folder> <host> <port> <bucket>…
 */
import S3rver from 's3rver';

async function main(): Promise<void> {
  const [directory, address, port, ...buckets] = process.argv.slice(2);
  if (directory === undefined || address === undefined || port === undefined) {
    process.stderr.write('usage: node --openssl-legacy-provider localS3Server.js <folder> <host> <port> <bucket>…\n');
    process.exit(2);
  }
  const server = new S3rver({
    directory,
    address,
    port: Number(port),
    silent: true,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const listening = await server.run();
  process.stdout.write(`ready ${listening.port}\n`);
  const stop = (): void => {
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The parent holds our stdin open: when it is gone, even by SIGKILL, so are we (no orphan
  // keeps the port from the next `npm start`).
  process.stdin.on('end', stop);
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`local S3 server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
