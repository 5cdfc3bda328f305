/**
 * The process lib/localSqs.ts starts: fauxqs, an SQS-compatible server from npm, which exits when
 * its parent does. A process of its own like the local S3 server, so that its requests never
 * compete with the consumer's event loop, and a test can kill it. fauxqs is an ES module, hence
 * the import(). Arguments: <host> <port>.
 */

async function main(): Promise<void> {
  const [host, port] = process.argv.slice(2);
  if (host === undefined || port === undefined) {
    process.stderr.write('usage: node localSqsServer.js <host> <port>\n');
    process.exit(2);
  }
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ host, port: Number(port), logger: false });
  process.stdout.write(`ready ${server.port}\n`);
  const stop = (): void => {
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The parent holds our stdin open: when it is gone, even by SIGKILL, so are we.
  process.stdin.on('end', stop);
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`local SQS server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
