// One line in the form scripts/test sums up: "portal result: N passed; N failed; N ignored".
export default class SummaryReporter {
  constructor() {
    this.counts = { passed: 0, failed: 0, skipped: 0 };
  }

  onTestEnd(test, result) {
    // Count each test once, by its final outcome.
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') return;
    if (result.status === 'passed') this.counts.passed += 1;
    else if (result.status === 'skipped') this.counts.skipped += 1;
    else this.counts.failed += 1;
  }

  onEnd(result) {
    const { passed, failed, skipped } = this.counts;
    const failedRun = result.status !== 'passed' && failed === 0 ? 1 : failed;
    console.log(`portal result: ${passed} passed; ${failedRun} failed; ${skipped} ignored`);
  }

  printsToStdio() {
    return false;
  }
}
