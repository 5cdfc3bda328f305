// Prints the plain "tests: N passed, N failed" line after jest's own summary, for tools that read
// only that form (CI among them).
class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(`tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed\n`);
  }
}
module.exports = PlainSummaryReporter;
