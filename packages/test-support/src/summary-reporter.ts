import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the suite's closing line, `N passed, N failed`, after vitest's own summary.
 * A test file that fails to load counts as one failure so a broken file can never look green.
 */
export default class SummaryReporter implements Reporter {
  private line = '';

  // Counted at run end, printed from onFinished: vitest calls the default reporter's summary there,
  // and this reporter is listed after it, so the line is the run's last.
  onFinished() {
    if (this.line) process.stdout.write(this.line);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let tests = 0;
      for (const test of mod.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (mod.state() === 'failed' && tests === 0) failed++;
      else if (mod.errors().length > 0) failed += mod.errors().length;
    }
    failed += unhandledErrors.length;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    this.line = `\n${passed} passed, ${failed} failed${tail}\n`;
  }
}
