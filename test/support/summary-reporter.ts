import type { Reporter, TestModule, TestSuite } from 'vitest/node';

/**
 * Prints one plain closing line, `N passed, N failed, N skipped`, after vitest's own report, so
 * any CI that reads closing lines sees how many tests ran. A file or suite that failed outside its
 * tests (an import error, a failed `beforeAll`) counts as one failure; the tests it kept from
 * running count as skipped.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const failedOutsideTests = (suite: TestModule | TestSuite) =>
      suite.state() === 'failed' && ![...suite.children.allTests()].some((t) => t.result().state === 'failed');
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // a failed suite also fails its module: count the suites, or the module when none failed
      const suites = [...module.children.allSuites()].filter(failedOutsideTests).length;
      failed += suites > 0 ? suites : Number(failedOutsideTests(module));
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
